import LibP2PConformance
import LibP2PCore
import Testing

/// A counter only ever touched under the lock under test: ThreadSanitizer reports
/// a race on it if the lock ever lets two holders in.
private final class Unguarded: @unchecked Sendable {
    var value = 0
    var order: [Int] = []
}

private struct Shut: Error, Equatable {}

@Suite("AsyncFIFOLock")
struct AsyncFIFOLockTests {
    @Test("holders never overlap")
    func mutualExclusion() async throws {
        let lock = AsyncFIFOLock()
        let counter = Unguarded()
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<500 {
                            try await lock.lock()
                            let seen = counter.value
                            await Task.yield()
                            counter.value = seen + 1
                            lock.unlock()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(counter.value == 4000)
    }

    @Test("waiters get the lock in arrival order")
    func fifo() async throws {
        let lock = AsyncFIFOLock()
        let log = Unguarded()
        try await lock.lock()
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        try await lock.lock()
                        log.order.append(i)
                        lock.unlock()
                    }
                    while lock.waiterCount < i + 1 { await Task.yield() }
                }
                lock.unlock()
                try await group.waitForAll()
            }
        }
        #expect(log.order == [0, 1, 2, 3, 4])
    }

    @Test("fail ends waiters and later lock calls; evenAfterFailure still gets it")
    func failure() async throws {
        let lock = AsyncFIFOLock()
        try await lock.lock()
        let waiter = Task { try await lock.lock() }
        while lock.waiterCount < 1 { await Task.yield() }
        lock.fail(Shut())
        await #expect(throws: Shut.self) { try await waiter.value }
        await #expect(throws: Shut.self) { try await lock.lock() }
        lock.unlock()
        try await withTimeout { try await lock.lock(evenAfterFailure: true) }
        lock.unlock()
    }

    @Test("failing one owner's waiters ends only theirs; the queue and the lock go on")
    func ownerFailure() async throws {
        final class Owner: Sendable {}
        let (reset, other) = (Owner(), Owner())
        let lock = AsyncFIFOLock()
        try await lock.lock()
        let doomed = Task { try await lock.lock(owner: ObjectIdentifier(reset)) }
        while lock.waiterCount < 1 { await Task.yield() }
        let survivor = Task { try await lock.lock(owner: ObjectIdentifier(other)) }
        while lock.waiterCount < 2 { await Task.yield() }
        lock.fail(waitersOwnedBy: ObjectIdentifier(reset), with: Shut())
        await #expect(throws: Shut.self) { try await doomed.value }
        #expect(lock.waiterCount == 1)
        lock.unlock()
        try await withTimeout { try await survivor.value }
        lock.unlock()
        // Only waiters are failed, not the owner's later calls.
        try await withTimeout { try await lock.lock(owner: ObjectIdentifier(reset)) }
        lock.unlock()
    }

    /// A waiter cancelled just as the lock is handed to it either gets the lock
    /// (and must release it) or throws; either way the lock is never lost.
    @Test("cancellation racing the hand-over never loses the lock")
    func cancellationRacesHandOver() async throws {
        let lock = AsyncFIFOLock()
        try await withTimeout(120) {
            for _ in 0..<10_000 {
                try await lock.lock()
                let waiter = Task {
                    try await lock.lock()
                    lock.unlock()
                }
                while lock.waiterCount < 1 { await Task.yield() }
                async let release: Void = lock.unlock()
                async let cancel: Void = waiter.cancel()
                _ = await (release, cancel)
                _ = try? await waiter.value
            }
            try await lock.lock()
            lock.unlock()
        }
        #expect(lock.waiterCount == 0)
    }
}
