import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Identifies a stream within a session. Both peers number their own streams, so the
/// same number can name two streams at once: one each of us opened.
struct MplexStreamKey: Hashable, Sendable, CustomStringConvertible {
    let id: UInt64
    let openedLocally: Bool

    /// The stream an incoming frame is about: frames with the opener's flags belong to
    /// a stream the peer opened, frames with the acceptor's flags to one we opened.
    init(frame: MplexFrame) {
        self.init(id: frame.streamID, openedLocally: !frame.flag.isFromStreamOpener)
    }

    init(id: UInt64, openedLocally: Bool) {
        self.id = id
        self.openedLocally = openedLocally
    }

    var description: String { "\(id)/\(openedLocally ? "local" : "remote")" }
}

/// The state machine of one stream, without any I/O: what the peer and the local user
/// have done to each direction, what is buffered, and who is waiting to read.
///
/// Directions: `remoteWriteClosed` is the peer's Close (our reads end after the buffer
/// drains), `localWriteClosed` is ours. `localReadClosed` means our user called
/// `close()` and no longer wants data: what arrives is dropped. `termination` is final:
/// a reset (either side, or a receive-buffer overrun) or the end of the session.
struct MplexStreamState {
    enum Termination: Equatable {
        case reset
        case sessionEnded
    }

    enum ReadStep {
        case chunk(ByteBuffer)
        case endOfStream
        case failure(any Error)
        case wait
    }

    /// A parked reader to resume once the session has updated its table, so whoever
    /// the reader wakes sees a consistent session (e.g. a finished stream is gone).
    struct ReaderWakeup {
        fileprivate let continuation: CheckedContinuation<ByteBuffer?, any Error>
        fileprivate let result: Result<ByteBuffer?, any Error>

        func resume() { continuation.resume(with: result) }
    }

    enum DataOutcome: Equatable {
        case delivered
        case dropped
        /// The receive buffer would exceed its cap: the stream is now reset locally and
        /// the caller must tell the peer.
        case overflow
    }

    let receiveLimit: Int
    private(set) var receive = MplexReceiveBuffer()
    private var readWaiter: CheckedContinuation<ByteBuffer?, any Error>?
    private(set) var remoteWriteClosed = false
    private(set) var localWriteClosed = false
    private(set) var localReadClosed = false
    private(set) var termination: Termination?

    init(receiveLimit: Int) {
        self.receiveLimit = receiveLimit
    }

    /// Both directions are done: the session can forget the stream (what is still
    /// buffered stays readable through the stream object).
    var isFinished: Bool {
        termination == .reset || (localWriteClosed && remoteWriteClosed)
    }

    var bufferedBytes: Int { receive.byteCount }

    // MARK: Events from the peer

    /// A Message frame. `connectionRoom` is what the session-wide buffer cap still allows.
    mutating func receiveData(_ payload: ByteBuffer, connectionRoom: Int) -> (DataOutcome, ReaderWakeup?) {
        guard termination == nil, !remoteWriteClosed, !localReadClosed else { return (.dropped, nil) }
        guard payload.readableBytes > 0 else { return (.delivered, nil) }
        if let reader = readWaiter.take() {
            return (.delivered, ReaderWakeup(continuation: reader, result: .success(payload)))
        }
        let count = payload.readableBytes
        guard receive.byteCount + count <= receiveLimit, count <= connectionRoom else {
            termination = .reset
            receive.removeAll()
            return (.overflow, nil)
        }
        receive.append(payload)
        return (.delivered, nil)
    }

    /// A Close frame: the peer will send no more. Returns whether the stream is now finished.
    mutating func receiveClose() -> (finished: Bool, wakeup: ReaderWakeup?) {
        guard termination == nil, !remoteWriteClosed else { return (false, nil) }
        remoteWriteClosed = true
        let wakeup = readWaiter.take().map { ReaderWakeup(continuation: $0, result: .success(nil)) }
        return (isFinished, wakeup)
    }

    /// A Reset frame: both directions fail from now on; buffered data is dropped.
    mutating func receiveReset() -> ReaderWakeup? {
        guard termination != .reset else { return nil }
        termination = .reset
        receive.removeAll()
        return readWaiter.take().map { ReaderWakeup(continuation: $0, result: .failure(StreamError.reset)) }
    }

    /// The session ended. Data already buffered stays readable; after it, a read sees
    /// end of stream if the peer had closed, else an error.
    mutating func sessionEnded() -> ReaderWakeup? {
        guard termination == nil else { return nil }
        termination = .sessionEnded
        return takeReader(.failure(MuxerError.connectionClosed))
    }

    // MARK: Operations of the local user

    mutating func nextRead() -> ReadStep {
        if termination == .reset { return .failure(StreamError.reset) }
        if let chunk = receive.popFirst() { return .chunk(chunk) }
        if localReadClosed || remoteWriteClosed { return .endOfStream }
        if termination == .sessionEnded { return .failure(MuxerError.connectionClosed) }
        if readWaiter != nil { return .failure(StreamError.concurrentRead) }
        return .wait
    }

    /// Parks a reader after `nextRead()` said `.wait`, unless something changed meanwhile;
    /// then returns how to resume it (after the lock is released).
    mutating func parkReader(_ continuation: CheckedContinuation<ByteBuffer?, any Error>) -> ReaderWakeup? {
        let result: Result<ByteBuffer?, any Error>
        switch nextRead() {
        case .chunk(let chunk): result = .success(chunk)
        case .endOfStream: result = .success(nil)
        case .failure(let error): result = .failure(error)
        case .wait:
            if Task.isCancelled {
                result = .failure(CancellationError())
            } else {
                readWaiter = continuation
                return nil
            }
        }
        return ReaderWakeup(continuation: continuation, result: result)
    }

    mutating func cancelRead() -> ReaderWakeup? {
        takeReader(.failure(CancellationError()))
    }

    /// Throws why a data frame may not be sent now, if it may not.
    func checkWritable() throws {
        switch termination {
        case .reset: throw StreamError.reset
        case .sessionEnded: throw MuxerError.connectionClosed
        case nil: if localWriteClosed { throw StreamError.closed }
        }
    }

    /// Half-close. Returns true when a Close frame must be sent (false if already sent).
    mutating func closeWrite() throws -> Bool {
        switch termination {
        case .reset: throw StreamError.reset
        case .sessionEnded: if localWriteClosed { return false } else { throw MuxerError.connectionClosed }
        case nil:
            if localWriteClosed { return false }
            localWriteClosed = true
            return true
        }
    }

    /// The user's `close()`: no more writes, no more interest in reads. Returns whether a
    /// Close frame must be sent, and the parked reader to wake after the lock is released.
    mutating func closeLocally() -> (sendClose: Bool, wakeup: ReaderWakeup?) {
        localReadClosed = true
        receive.removeAll()
        let wakeup = takeReader(.success(nil))
        guard termination == nil, !localWriteClosed else { return (false, wakeup) }
        localWriteClosed = true
        return (true, wakeup)
    }

    /// The user's `reset()`. Returns whether a Reset frame must be sent: not when the
    /// stream already ended, as the peer has forgotten it. Also returns the parked reader
    /// to wake after the lock is released.
    mutating func resetLocally() -> (sendReset: Bool, wakeup: ReaderWakeup?) {
        guard termination == nil else { return (false, nil) }
        let peerStillCares = !isFinished
        let wakeup = terminate(.reset, readerError: StreamError.reset)
        return (peerStillCares, wakeup)
    }

    private mutating func terminate(_ how: Termination, readerError: any Error) -> ReaderWakeup? {
        termination = how
        receive.removeAll()
        return takeReader(.failure(readerError))
    }

    /// Unparks the reader, if any; the caller resumes it once the lock is released.
    private mutating func takeReader(_ result: Result<ByteBuffer?, any Error>) -> ReaderWakeup? {
        readWaiter.take().map { ReaderWakeup(continuation: $0, result: result) }
    }
}
