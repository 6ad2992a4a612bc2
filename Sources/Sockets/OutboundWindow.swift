import LibP2PCore

/// The bytes handed to the event loop that the socket has not taken yet. Writes
/// return as soon as NIO has the bytes, so a writer can keep the socket busy; once
/// more than `highWatermark` bytes are pending, the writer waits until the socket
/// has drained them below `lowWatermark`. A pure state machine, like `InboundState`.
///
/// The writes are counted too: a writer off the loop hands each one over as a task
/// of the loop's, and 512 KiB of 30-byte frames would be 17,000 tasks that the loop
/// runs before it polls any other socket again.
package struct OutboundState: Sendable {
    /// The most writes pending before the writer waits; it goes on at a quarter.
    package static let maxPendingWrites = 256

    package let highWatermark: Int
    package let lowWatermark: Int
    package private(set) var pendingBytes = 0
    package private(set) var pendingWrites = 0
    /// Set once writing is over: why later writes fail.
    package private(set) var failure: (any Error)?
    /// The writer waiting for the socket to drain.
    package var writers = WaiterQueue<Void>()

    package init(highWatermark: Int, lowWatermark: Int) {
        precondition(lowWatermark <= highWatermark)
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    /// A write of `count` bytes is about to be handed to the event loop.
    package mutating func startWrite(_ count: Int) throws {
        if let failure { throw failure }
        pendingBytes += count
        pendingWrites += 1
    }

    /// After handing a write over: must the writer wait for the socket to drain?
    package var mustWait: Bool { pendingBytes > highWatermark || pendingWrites > Self.maxPendingWrites }

    /// A waiting writer may go on once the socket drained below the low watermarks.
    package func mayContinue() throws -> Bool {
        if let failure { throw failure }
        return isDrained
    }

    private var isDrained: Bool { pendingBytes <= lowWatermark && pendingWrites <= Self.maxPendingWrites / 4 }

    /// The socket took (or failed to take) a write of `count` bytes.
    package mutating func completed(_ count: Int, error: (any Error)?) -> Resumptions {
        pendingBytes -= count
        pendingWrites -= 1
        if let error, failure == nil { failure = error }
        if let failure { return writers.wakeAll(throwing: failure) }
        return isDrained ? writers.wakeAll(returning: ()) : Resumptions()
    }

    /// No more writes: later ones fail with `error`, a waiting writer too.
    package mutating func end(_ error: any Error) -> Resumptions {
        if failure == nil { failure = error }
        return writers.wakeAll(throwing: failure!)
    }
}

/// `OutboundState` behind a lock, shared by the connection's writer and the
/// completion callbacks of its writes (event loop).
package final class OutboundWindow: Sendable {
    private let state: LockedState<OutboundState>

    package init(highWatermark: Int, lowWatermark: Int) {
        state = LockedState(OutboundState(highWatermark: highWatermark, lowWatermark: lowWatermark))
    }

    /// Accounts for `count` bytes and runs `submit`, which hands them to the event
    /// loop; then waits while too many bytes are pending.
    package func write(_ count: Int, submit: () -> Void) async throws {
        let mustWait = try state.withLock { s in
            try s.startWrite(count)
            return s.mustWait
        }
        submit()
        guard mustWait else { return }
        try await state.wait(in: { s, use in use(&s.writers) }) { s, _ in try s.mayContinue() ? .ready(()) : .park }
    }

    package func completed(_ count: Int, error: (any Error)?) {
        state.withLockThenResume { $0.completed(count, error: error) }
    }

    /// Why writing is over, if it is.
    package var failure: (any Error)? { state.withLock { $0.failure } }

    package func end(_ error: any Error) {
        state.withLockThenResume { $0.end(error) }
    }
}
