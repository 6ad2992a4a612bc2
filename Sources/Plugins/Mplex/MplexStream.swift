import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// One stream of an mplex session: a `ByteStream` whose reads come from the session's
/// read loop and whose writes become Message frames (split at the maximum message
/// size). `closeWrite()` is a half-close, `reset()` aborts both directions.
public final class MplexStream: MuxedStream, ScaffoldedStream {
    /// The stream number its opener chose.
    public let id: UInt64
    /// The name from NewStream (we send the number in decimal, as go does). Only for
    /// display; a peer's name is kept up to 1 KiB.
    public let name: String
    /// Whether we opened it (and so send the `…Initiator` flags).
    public var openedLocally: Bool { key.openedLocally }

    let key: MplexStreamKey
    private let session: MplexSession
    private let state: LockedState<MplexStreamState>

    init(key: MplexStreamKey, name: String, session: MplexSession) {
        self.id = key.id
        self.key = key
        self.name = name
        self.session = session
        self.state = LockedState(MplexStreamState(receiveLimit: session.configuration.maxStreamReceiveBuffer))
    }

    deinit {
        // Unread bytes of a stream nobody reads any more leave the session's total.
        let unread = state.withLock { $0.bufferedBytes }
        if unread > 0 { session.accountBuffered(-unread) }
    }

    // MARK: ByteStream

    public func read() async throws -> ByteBuffer? {
        try await state.wait(in: { s, use in use(&s.readers) }) { s, _ in
            switch s.nextRead() {
            case .chunk(let chunk):
                // The chunk leaves the buffer, and the session's count of unread bytes.
                session.accountBuffered(-chunk.readableBytes)
                return .ready(chunk)
            case .endOfStream: return .ready(nil)
            case .failure(let error): throw error
            case .wait: return .park
            }
        }
    }

    public func write(_ buffer: ByteBuffer) async throws {
        try state.withLock { try $0.checkWritable() }
        let flag = MplexFlag(.message, fromOpener: openedLocally)
        let limit = session.configuration.maxMessageSize
        var remaining = buffer
        while remaining.readableBytes > 0 {
            let payload = remaining.readSlice(length: min(remaining.readableBytes, limit))!
            try await session.scaffold.writer.write(owner: ObjectIdentifier(self)) {
                // Checked holding the write lock: a frame of a stream reset meanwhile is
                // never sent, nor one whose writer was cancelled while it waited.
                try state.withLock { try $0.checkWritable() }
                try Task.checkCancellation()
                return MplexFrame(streamID: id, flag: flag, payload: payload).encoded()
            }
        }
    }

    public func closeWrite() async throws {
        guard try state.withLock({ try $0.closeWrite() }) else { return }
        try await session.scaffold.writer.write(owner: ObjectIdentifier(self)) {
            if state.withLock({ $0.termination == .reset }) { throw StreamError.reset }
            return frame(.close)
        }
        forgetIfFinished()
    }

    /// Stops both directions: sends Close if not yet sent (queued, never blocking),
    /// drops unread data, and fails this stream's pending writes. The stream stays
    /// routable until the peer closes too, so its late data is recognised and dropped.
    public func close() async {
        let (sendClose, wakeup) = mutate { s in
            let result = s.closeLocally()
            if s.isFinished { session.forget(self) }
            return result
        }
        wakeup?.resume()
        session.scaffold.writer.failWrites(of: ObjectIdentifier(self), with: StreamError.closed)
        if sendClose { await session.sendControl(frame(.close)) }
    }

    // MARK: MuxedStream

    public func reset() async {
        let (sendReset, wakeup) = mutate { s in
            let result = s.resetLocally()
            session.forget(self)
            return result
        }
        wakeup?.resume()
        session.scaffold.writer.failWrites(of: ObjectIdentifier(self), with: StreamError.reset)
        if sendReset { await session.sendControl(frame(.reset)) }
    }

    // MARK: Events from the session's read loop

    // A stream that becomes finished leaves the session's table inside its own lock, so
    // whoever sees the new state also sees the table without it. Parked readers are
    // resumed after both locks are released.

    func receive(_ payload: ByteBuffer, connectionRoom: Int) -> MplexStreamState.DataOutcome {
        let (outcome, wakeup) = mutate { s in
            let result = s.receiveData(payload, connectionRoom: connectionRoom)
            // Not yet accepted, it stays in the backlog (see `forget`): withdrawing it
            // made an acceptor that the writer outran wait for it forever.
            if result.0 == .overflow { session.forget(self, keepAcceptable: true) }
            return result
        }
        wakeup?.resume()
        if outcome == .overflow { session.scaffold.writer.failWrites(of: ObjectIdentifier(self), with: StreamError.reset) }
        return outcome
    }

    func receiveClose() {
        let wakeup = state.withLock { s in
            let (finished, wakeup) = s.receiveClose()
            if finished { session.forget(self) }
            return wakeup
        }
        wakeup?.resume()
    }

    func receiveReset() {
        let wakeup = mutate { s in
            let wakeup = s.receiveReset()
            session.forget(self)
            return wakeup
        }
        wakeup?.resume()
        session.scaffold.writer.failWrites(of: ObjectIdentifier(self), with: StreamError.reset)
    }

    /// The session ended: reads fail with `MuxerError.connectionClosed` once the buffer
    /// is drained (mplex reports every session end so, whatever the reason).
    public func sessionEnded(_ error: MuxerError) {
        state.withLock { $0.sessionEnded() }?.resume()
    }

    var bufferedBytes: Int { state.withLock { $0.bufferedBytes } }

    /// A zero-length Close or Reset frame of this stream, with our side's flag.
    func frame(_ kind: MplexFlag.Kind) -> ByteBuffer {
        MplexFrame(streamID: id, flag: MplexFlag(kind, fromOpener: openedLocally)).encoded()
    }

    // MARK: Helpers

    private func forgetIfFinished() {
        state.withLock { s in
            if s.isFinished { session.forget(self) }
        }
    }

    /// Runs `body` on the state and reports any change of the buffered byte count to
    /// the session, which bounds the total over all streams.
    private func mutate<Result: Sendable>(_ body: (inout MplexStreamState) -> Result) -> Result {
        let (result, delta) = state.withLock { s in
            let before = s.bufferedBytes
            let result = body(&s)
            return (result, s.bufferedBytes - before)
        }
        if delta != 0 { session.accountBuffered(delta) }
        return result
    }
}
