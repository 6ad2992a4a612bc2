import LibP2PCore
import Synchronization

/// The bytes handed to the event loop that the socket has not taken yet. Writes
/// return as soon as NIO has the bytes, so a writer can keep the socket busy; once
/// more than `highWatermark` bytes are pending, the writer waits until the socket
/// has drained them below `lowWatermark`. A pure state machine, like `InboundState`.
struct OutboundState {
    let highWatermark: Int
    let lowWatermark: Int
    private(set) var pendingBytes = 0
    /// Set once writing is over: why later writes fail.
    private(set) var failure: (any Error)?
    private var waiter: CheckedContinuation<Void, any Error>?

    init(highWatermark: Int, lowWatermark: Int) {
        precondition(lowWatermark <= highWatermark)
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    /// A write of `count` bytes is about to be handed to the event loop.
    mutating func startWrite(_ count: Int) throws {
        if let failure { throw failure }
        pendingBytes += count
    }

    /// After handing a write over: must the writer wait for the socket to drain?
    var mustWait: Bool { pendingBytes > highWatermark }

    /// Parks the writer; returns it with its result when it must be resumed at once.
    mutating func park(
        _ writer: CheckedContinuation<Void, any Error>
    ) -> (CheckedContinuation<Void, any Error>, Result<Void, any Error>)? {
        if let failure { return (writer, .failure(failure)) }
        if pendingBytes <= lowWatermark { return (writer, .success(())) }
        waiter = writer
        return nil
    }

    /// The socket took (or failed to take) `count` bytes.
    mutating func completed(
        _ count: Int, error: (any Error)?
    ) -> (CheckedContinuation<Void, any Error>, Result<Void, any Error>)? {
        pendingBytes -= count
        if let error, failure == nil { failure = error }
        guard let writer = waiter else { return nil }
        if let failure {
            waiter = nil
            return (writer, .failure(failure))
        }
        if pendingBytes <= lowWatermark {
            waiter = nil
            return (writer, .success(()))
        }
        return nil
    }

    /// No more writes: later ones fail with `error`, a parked writer too.
    mutating func end(_ error: any Error) -> CheckedContinuation<Void, any Error>? {
        if failure == nil { failure = error }
        defer { waiter = nil }
        return waiter
    }

    mutating func cancelWaiter() -> CheckedContinuation<Void, any Error>? {
        defer { waiter = nil }
        return waiter
    }
}

/// `OutboundState` behind a lock, shared by the connection's writer and the
/// completion callbacks of its writes (event loop).
final class OutboundWindow: Sendable {
    private let state: Mutex<OutboundState>

    init(highWatermark: Int, lowWatermark: Int) {
        state = Mutex(OutboundState(highWatermark: highWatermark, lowWatermark: lowWatermark))
    }

    /// Accounts for `count` bytes and runs `submit`, which hands them to the event
    /// loop; then waits while too many bytes are pending.
    func write(_ count: Int, submit: () -> Void) async throws {
        let mustWait = try state.withLock { s in
            try s.startWrite(count)
            return s.mustWait
        }
        submit()
        guard mustWait else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (writer: CheckedContinuation<Void, any Error>) in
                let immediate = state.withLock { s in
                    Task.isCancelled ? (writer, .failure(CancellationError())) : s.park(writer)
                }
                if let (writer, result) = immediate {
                    writer.resume(with: result)
                }
            }
        } onCancel: {
            // Taken out under the lock, resumed after it is released.
            let writer = state.withLock { $0.cancelWaiter() }
            writer?.resume(throwing: CancellationError())
        }
    }

    func completed(_ count: Int, error: (any Error)?) {
        if let (writer, result) = state.withLock({ $0.completed(count, error: error) }) {
            writer.resume(with: result)
        }
    }

    /// Why writing is over, if it is.
    var failure: (any Error)? { state.withLock { $0.failure } }

    func end(_ error: any Error) {
        let writer = state.withLock { $0.end(error) }
        writer?.resume(throwing: error)
    }
}
