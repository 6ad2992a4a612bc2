import LibP2PCore
import LibP2PMuxerScaffold
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
/// have done to each direction, what is buffered, and who is waiting to read. Kept
/// in the stream's `LockedState`; a parked reader is handed its outcome directly
/// (a `Resumption`, resumed by the caller once the lock is released).
///
/// Directions: `remoteWriteClosed` is the peer's Close (our reads end after the buffer
/// drains), `localWriteClosed` is ours. `localReadClosed` means our user called
/// `close()` and no longer wants data: what arrives is dropped. `termination` is final:
/// a reset (either side, or a receive-buffer overrun) or the end of the session.
struct MplexStreamState: Sendable {
    typealias ReaderWakeup = Resumption<ByteBuffer?>

    enum Termination: Equatable, Sendable {
        case reset
        case sessionEnded
    }

    enum ReadStep: Sendable {
        case chunk(ByteBuffer)
        case endOfStream
        case failure(any Error)
        case wait
    }

    enum DataOutcome: Equatable, Sendable {
        case delivered
        case dropped
        /// The receive buffer would exceed its cap: the stream is now reset locally and
        /// the caller must tell the peer.
        case overflow
    }

    let receiveLimit: Int
    private(set) var receive = PackedReceiveBuffer()
    /// The parked reader (at most one: a second concurrent read fails).
    var readers = WaiterQueue<ByteBuffer?>()
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
        if let reader = readers.wakeFirst(returning: payload) {
            return (.delivered, reader)
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
        return (isFinished, readers.wakeFirst(returning: nil))
    }

    /// A Reset frame: both directions fail from now on; buffered data is dropped.
    mutating func receiveReset() -> ReaderWakeup? {
        guard termination != .reset else { return nil }
        termination = .reset
        receive.removeAll()
        return readers.wakeFirst(throwing: StreamError.reset)
    }

    /// The session ended. Data already buffered stays readable; after it, a read sees
    /// end of stream if the peer had closed, else an error.
    mutating func sessionEnded() -> ReaderWakeup? {
        guard termination == nil else { return nil }
        termination = .sessionEnded
        return readers.wakeFirst(throwing: MuxerError.connectionClosed)
    }

    // MARK: Operations of the local user

    mutating func nextRead() -> ReadStep {
        if termination == .reset { return .failure(StreamError.reset) }
        if let chunk = receive.popFirst() { return .chunk(chunk) }
        if localReadClosed || remoteWriteClosed { return .endOfStream }
        if termination == .sessionEnded { return .failure(MuxerError.connectionClosed) }
        if !readers.isEmpty { return .failure(StreamError.concurrentRead) }
        return .wait
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
        let wakeup = readers.wakeFirst(returning: nil)
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
        return readers.wakeFirst(throwing: readerError)
    }
}
