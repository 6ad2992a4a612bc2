import LibP2PConformance
import LibP2PCore
import Testing

@Suite("cancellableSleep and withDeadline")
struct DeadlineTests {
    @Test("a sleep ends no sooner than its limit")
    func sleepsItsLimit() async throws {
        try await withTimeout {
            let clock = ContinuousClock()
            let start = clock.now
            try await cancellableSleep(for: .milliseconds(30))
            #expect(clock.now - start >= .milliseconds(30))
        }
    }

    @Test("a cancelled sleep throws CancellationError at once, however far its limit", arguments: [
        Duration.seconds(3600), .seconds(Int64.max),
    ])
    func cancelledSleep(limit: Duration) async throws {
        try await withTimeout {
            let sleeper = Task { try await cancellableSleep(for: limit) }
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }

    @Test("a sleep cancelled while parked wakes with CancellationError")
    func cancelledWhileParked() async throws {
        try await withTimeout {
            let sleeper = Task { try await cancellableSleep(for: .seconds(3600)) }
            // Let it park on its timer first (the test's bound keeps this from hanging).
            try await cancellableSleep(for: .milliseconds(20))
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }

    @Test("a limit of zero or less ends the sleep at once", arguments: [
        Duration.zero, .milliseconds(-5), .seconds(Int64.min),
    ])
    func zeroLimit(limit: Duration) async throws {
        try await withTimeout { try await cancellableSleep(for: limit) }
    }

    @Test("withDeadline hands back the operation's value")
    func valueWithinLimit() async throws {
        let value = try await withTimeout {
            try await withDeadline(.seconds(3600), "the sum") { 2 + 3 }
        }
        #expect(value == 5)
    }

    @Test("withDeadline cancels an operation that outlasts its limit and says what it was")
    func deadlineExceeded() async throws {
        try await withTimeout {
            do {
                _ = try await withDeadline(.milliseconds(20), "the endless wait") {
                    try await cancellableSleep(for: .seconds(3600))
                }
                Issue.record("the operation finished although it sleeps for an hour")
            } catch let error as DeadlineExceeded {
                #expect(error.what == "the endless wait")
                #expect(error.limit == .milliseconds(20))
            }
        }
    }

    @Test("withDeadline passes the operation's own error on")
    func operationError() async throws {
        struct Broken: Error {}
        try await withTimeout {
            _ = await #expect(throws: Broken.self) {
                try await withDeadline(.seconds(3600), "the broken operation") { throw Broken() }
            }
        }
    }
}
