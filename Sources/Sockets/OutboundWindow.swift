import LibP2PCore

/// The bytes handed to the event loop that the socket has not taken yet. Writes
/// return as soon as NIO has the bytes, so a writer can keep the socket busy; once
/// more than `highWatermark` bytes are pending, the writer waits until the socket
/// has drained them below `lowWatermark`. A pure state machine, like `InboundState`.
package struct OutboundState: Sendable {
    package let highWatermark: Int
    package let lowWatermark: Int
    package private(set) var pendingBytes = 0
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
    }

    /// After handing a write over: must the writer wait for the socket to drain?
    package var mustWait: Bool { pendingBytes > highWatermark }

    /// A waiting writer may go on once the socket drained below the low watermark.
    package func mayContinue() throws -> Bool {
        if let failure { throw failure }
        return pendingBytes <= lowWatermark
    }

    /// The socket took (or failed to take) `count` bytes.
    package mutating func completed(_ count: Int, error: (any Error)?) -> Resumptions {
        pendingBytes -= count
        if let error, failure == nil { failure = error }
        if let failure { return writers.wakeAll(throwing: failure) }
        return pendingBytes <= lowWatermark ? writers.wakeAll(returning: ()) : Resumptions()
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
