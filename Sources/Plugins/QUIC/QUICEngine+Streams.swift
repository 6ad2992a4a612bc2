internal import CNGTCP2
import DequeModule
import LibP2PCore
import NIOCore

/// Streams: what the owner asks of them (open, write, finish, read credit, reset,
/// release) and what ngtcp2's callbacks report (data, opens, closes, resets, acks).
extension QUICEngine {
    // MARK: Streams

    /// How many more streams the peer lets us open now.
    var openableStreams: UInt64 { terminated == nil ? ngtcp2_conn_get_streams_bidi_left(conn) : 0 }

    /// Opens a stream, or nil while the peer's stream limit is reached.
    func openStream() throws -> Int64? {
        if let terminated { throw terminated ?? QUICError.connectionClosed }
        var id: Int64 = -1
        let status = ngtcp2_conn_open_bidi_stream(conn, &id, nil)
        if status == NGTCP2_ERR_STREAM_ID_BLOCKED { return nil }
        guard status == 0 else { throw QUICError.transport("opening a stream: \(Self.describe(status))") }
        streams[id] = QUICStreamBuffers()
        return id
    }

    /// Queues `data` on the stream; the caller has checked there is room.
    func append(_ data: ByteBuffer, to id: Int64) throws {
        if let terminated { throw terminated ?? QUICError.connectionClosed }
        guard let stream = streams[id] else { throw QUICError.connectionClosed }
        if let code = stream.stopSendingCode ?? stream.resetByPeer { throw QUICError.streamReset(code: code) }
        if stream.resetLocally { throw StreamError.reset }
        guard !stream.finRequested else { throw QUICError.writeAfterClose }
        guard data.readableBytes > 0 else { return }
        streams[id]!.chunks.append(QUICSendChunk(data, offset: stream.writtenOffset))
        streams[id]!.writtenOffset += UInt64(data.readableBytes)
        enqueueForSending(id)
    }

    /// Queues the FIN (half-close).
    func finish(_ id: Int64) {
        guard terminated == nil, let stream = streams[id], !stream.finRequested, !stream.writeFailed else { return }
        streams[id]!.finRequested = true
        enqueueForSending(id)
    }

    /// The application has read `count` bytes: give the peer that much more window.
    func consumed(_ count: Int, on id: Int64) {
        guard terminated == nil, count > 0 else { return }
        _ = ngtcp2_conn_extend_max_stream_offset(conn, id, UInt64(count))
        ngtcp2_conn_extend_max_offset(conn, UInt64(count))
        creditSinceWrite += count
    }

    /// RESET_STREAM and STOP_SENDING: both directions end abruptly.
    func reset(_ id: Int64) {
        guard streams[id] != nil else { return }
        streams[id]!.resetLocally = true
        streams[id]!.readClosed = true
        streams[id]!.released = true
        let unread = streams[id]!.received.reduce(0) { $0 + $1.readableBytes }
        streams[id]!.received.removeAll()
        if terminated == nil {
            consumed(unread, on: id)
            _ = ngtcp2_conn_shutdown_stream(conn, id, 0)
        }
        forgetIfDone(id)
    }

    /// The application is done with the stream: FIN if not yet sent, and STOP_SENDING
    /// if the peer's data has not all been read.
    func release(_ id: Int64) {
        guard let stream = streams[id] else { return }
        streams[id]!.released = true
        if !stream.finRequested && !stream.writeFailed { finish(id) }
        if !stream.finReceived && stream.resetByPeer == nil && terminated == nil {
            let unread = stream.received.reduce(0) { $0 + $1.readableBytes }
            streams[id]!.received.removeAll()
            streams[id]!.readClosed = true
            consumed(unread, on: id)
            _ = ngtcp2_conn_shutdown_stream_read(conn, id, 0)
        }
        forgetIfDone(id)
    }

    /// Drops the stream's entry once ngtcp2 and the application are both done with it.
    func forgetIfDone(_ id: Int64) {
        guard let stream = streams[id], stream.closedByTransport, stream.released else { return }
        streams[id] = nil
    }

    // MARK: Callback handlers (QUICCallbacks)

    /// The most one buffer of received stream data gathers.
    static let receiveChunk = 64 * 1024

    func onStreamData(_ id: Int64, _ data: UnsafeBufferPointer<UInt8>, fin: Bool) {
        guard streams[id] != nil, !streams[id]!.readClosed else {
            // Nobody will read it: give the window straight back.
            consumed(data.count, on: id)
            return
        }
        if data.count > 0 {
            // Packets' worth of data gather in one buffer (up to `receiveChunk`), so a
            // bulk reader takes tens of KiB per read instead of one packet's.
            if let last = streams[id]!.received.indices.last,
                streams[id]!.received[last].readableBytes + data.count <= Self.receiveChunk
            {
                streams[id]!.received[last].writeBytes(data)
            } else {
                var buffer = ByteBufferAllocator().buffer(capacity: max(data.count, 16 * 1024))
                buffer.writeBytes(data)
                streams[id]!.received.append(buffer)
            }
        }
        if fin { streams[id]!.finReceived = true }
        events.readable.insert(id)
    }

    func onStreamOpen(_ id: Int64) {
        guard ngtcp2_is_bidi_stream(id) != 0 else { return }
        streams[id] = QUICStreamBuffers()
        incoming.append(id)
        events.incoming = true
    }

    func onStreamClose(_ id: Int64) {
        if ngtcp2_is_bidi_stream(id) != 0, ngtcp2_conn_is_local_stream(conn, id) == 0 {
            // The library leaves raising the peer's stream limit to us.
            ngtcp2_conn_extend_max_streams_bidi(conn, 1)
        }
        guard streams[id] != nil else { return }
        streams[id]!.closedByTransport = true
        streams[id]!.chunks.removeAll()
        if !streams[id]!.finReceived && streams[id]!.resetByPeer == nil { streams[id]!.resetByPeer = 0 }
        events.readable.insert(id)
        events.writable.insert(id)
        forgetIfDone(id)
    }

    func onStreamReset(_ id: Int64, code: UInt64) {
        guard streams[id] != nil else { return }
        streams[id]!.resetByPeer = code
        streams[id]!.received.removeAll()
        events.readable.insert(id)
        events.writable.insert(id)
    }

    func onStopSending(_ id: Int64, code: UInt64) {
        guard streams[id] != nil else { return }
        streams[id]!.stopSendingCode = code
        events.writable.insert(id)
    }

    func onAcked(_ id: Int64, upTo offset: UInt64) {
        guard streams[id] != nil else { return }
        streams[id]!.acknowledge(upTo: offset)
        events.writable.insert(id)
    }

    func onExtendStreamData(_ id: Int64) {
        guard streams[id] != nil else { return }
        streams[id]!.dataBlocked = false
        enqueueForSending(id)
    }

    func onStreamsOpenable() {
        events.streamsOpenable = true
    }
}
