import LibP2PCore
import LibP2PRegistry
import NIOCore

/// One bidirectional QUIC stream as a `MuxedStream`. Reads take what ngtcp2
/// delivered and only then extend the peer's window; writes wait while
/// `sendBufferLimit` bytes are unacknowledged. `closeWrite()` sends the FIN,
/// `reset()` RESET_STREAM and STOP_SENDING.
final class QUICStream: MuxedStream {
    let id: Int64
    let connection: QUICConnection
    /// Large writes go in pieces of this size, each waiting for room, so one write
    /// never parks more than this beyond the send buffer limit.
    static let writePiece = 256 * 1024

    /// Set by our own `reset()`: the engine may forget the stream soon after, but
    /// our reads and writes must go on failing.
    private let wasReset = LockedState(false)

    init(id: Int64, connection: QUICConnection) {
        self.id = id
        self.connection = connection
    }

    private var state: LockedState<QUICConnectionState> { connection.state }

    func read() async throws -> ByteBuffer? {
        if wasReset.withLock({ $0 }) { throw StreamError.closed }
        let id = self.id
        while true {
            let outcome: QUICStreamRead? = try await state.wait(in: { s, use in use(&s.readers[id, default: WaiterQueue()]) }) { s, _ in
                guard let stream = s.engine.streams[id] else { return .ready(.end) }
                if stream.resetLocally { throw StreamError.closed }
                if let code = stream.resetByPeer, stream.received.isEmpty || code != 0 || !stream.finReceived {
                    throw QUICError.streamReset(code: code)
                }
                if !stream.received.isEmpty {
                    // Taken and credited in one go; packets go out only when a window
                    // update is due (one perform per read halved bulk throughput).
                    let chunk = s.engine.streams[id]!.received.removeFirst()
                    s.engine.consumed(chunk.readableBytes, on: id)
                    return .ready(.data(chunk, flush: s.engine.windowUpdateDue))
                }
                if stream.finReceived || stream.readClosed { return .ready(.end) }
                if let terminated = s.engine.terminated { throw terminated ?? QUICError.connectionClosed }
                return .park
            }
            // Our own reset() while this read waited: the engine may have forgotten the stream.
            if wasReset.withLock({ $0 }) { throw StreamError.closed }
            switch outcome {
            case .some(.data(let buffer, let flush)):
                if flush { connection.perform { _ in } }
                return buffer
            case .some(.end):
                return nil
            case .none:
                continue
            }
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        if wasReset.withLock({ $0 }) { throw StreamError.closed }
        var rest = buffer
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(rest.readableBytes, Self.writePiece))!
            try await writePiece(piece)
        }
    }

    private func writePiece(_ piece: ByteBuffer) async throws {
        let id = self.id
        while true {
            let done: Bool? = try await state.wait(in: { s, use in use(&s.writers[id, default: WaiterQueue()]) }) { s, _ in
                guard let stream = s.engine.streams[id] else { throw StreamError.closed }
                if stream.resetLocally { throw StreamError.closed }
                if let code = stream.stopSendingCode ?? stream.resetByPeer { throw QUICError.streamReset(code: code) }
                if stream.finRequested { throw StreamError.closed }
                if let terminated = s.engine.terminated { throw terminated ?? QUICError.connectionClosed }
                guard stream.unacknowledged < s.engine.limits.sendBufferLimit else { return .park }
                try s.engine.append(piece, to: id)
                return .ready(true)
            }
            if wasReset.withLock({ $0 }) { throw StreamError.closed }
            if done != nil { break }
        }
        connection.perform { _ in }
    }

    func closeWrite() async throws {
        try connection.perform { s in
            if let terminated = s.engine.terminated { throw terminated ?? QUICError.connectionClosed }
            s.engine.finish(id)
        }
    }

    func close() async {
        connection.perform { s in
            s.engine.release(id)
            s.engine.events.readable.insert(id)
            s.engine.events.writable.insert(id)
        }
    }

    func reset() async {
        wasReset.withLock { $0 = true }
        connection.perform { s in
            s.engine.reset(id)
            s.engine.events.readable.insert(id)
            s.engine.events.writable.insert(id)
        }
    }
}
