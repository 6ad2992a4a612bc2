import LibP2PConformance
import LibP2PCore
import Testing

/// A one-slot mailbox built on the kit, as a plugin would build one.
private final class Mailbox: Sendable {
    struct State: Sendable {
        var value: Int?
        var closed = false
        var readers = WaiterQueue<Int?>()
    }

    let state = LockedState(State())

    func take() async throws -> Int? {
        try await state.wait(in: { s, use in use(&s.readers) }) { s, _ in
            if let value = s.value {
                s.value = nil
                return .ready(value)
            }
            return s.closed ? .ready(nil) : .park
        }
    }

    func put(_ value: Int) {
        state.withLockThenResume { s -> Resumption<Int?>? in
            if let reader = s.readers.wakeFirst(returning: value) { return reader }
            s.value = value
            return nil
        }
    }

    func close() {
        state.withLockThenResume { s in
            s.closed = true
            return s.readers.wakeAll(returning: nil)
        }
    }

    var waiting: Int { state.withLock { $0.readers.count } }
}

@Suite("LockedState and WaiterQueue")
struct LockedStateTests {
    @Test("a ready decision returns without parking")
    func readyAtOnce() async throws {
        let box = Mailbox()
        box.put(7)
        #expect(try await box.take() == 7)
        #expect(box.waiting == 0)
    }

    @Test("a parked task is woken with the value, oldest first")
    func wakesInOrder() async throws {
        let box = Mailbox()
        try await withTimeout {
            try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { try await box.take() }
                while box.waiting < 1 { await Task.yield() }
                group.addTask { try await box.take() }
                while box.waiting < 2 { await Task.yield() }
                box.put(1)
                box.put(2)
                var got: [Int] = []
                for try await value in group { got.append(value ?? -1) }
                #expect(got.sorted() == [1, 2])
            }
        }
    }

    @Test("wakeAll ends every waiter")
    func wakeAll() async throws {
        let box = Mailbox()
        try await withTimeout {
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<10 { group.addTask { try await box.take() } }
                while box.waiting < 10 { await Task.yield() }
                box.close()
                for try await value in group { #expect(value == nil) }
            }
        }
    }

    @Test("cancelling a parked task throws CancellationError and leaves the queue empty")
    func cancellation() async throws {
        let box = Mailbox()
        let task = Task { try await box.take() }
        while box.waiting < 1 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(box.waiting == 0)
    }

    @Test("a task cancelled before it waits does not park")
    func cancelledBeforeWaiting() async throws {
        let box = Mailbox()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await box.take()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(box.waiting == 0)
    }

    /// The deadlock this kit exists to prevent: a wake-up and a cancellation of the
    /// same waiter at the same moment, many thousands of times. Each round must end
    /// (no hang), with either the value or `CancellationError`, and leave no waiter.
    @Test("cancellation races resumption without deadlock or a lost waiter")
    func cancellationRacesResumption() async throws {
        let rounds = 20_000
        let outcomes = try await withTimeout(120) {
            var woken = 0
            var cancelled = 0
            for round in 0..<rounds {
                let box = Mailbox()
                let waiter = Task { try await box.take() }
                if round % 2 == 0 { while box.waiting < 1 { await Task.yield() } }
                async let wake: Void = box.put(round)
                async let cancel: Void = waiter.cancel()
                _ = await (wake, cancel)
                do {
                    let value = try await waiter.value
                    #expect(value == round)
                    woken += 1
                } catch is CancellationError {
                    cancelled += 1
                }
                #expect(box.waiting == 0)
            }
            return (woken, cancelled)
        }
        #expect(outcomes.0 + outcomes.1 == rounds)
    }
}
