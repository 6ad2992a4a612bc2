import DequeModule
import NIOCore

/// Bytes written to a stream, copied once into memory ngtcp2 may point at until the
/// peer acknowledges them (ngtcp2 keeps no copy: retransmissions read from here).
final class QUICSendChunk {
    let bytes: UnsafeMutableRawBufferPointer
    /// The stream offset of the first byte.
    let offset: UInt64

    init(_ buffer: ByteBuffer, offset: UInt64) {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.readableBytes, alignment: 1)
        buffer.withUnsafeReadableBytes { bytes.copyMemory(from: $0) }
        self.bytes = bytes
        self.offset = offset
    }

    var end: UInt64 { offset + UInt64(bytes.count) }

    deinit { bytes.deallocate() }
}

/// One stream's data in both directions, touched only under its connection's lock.
///
/// Receiving is bounded by flow control: the window is extended only by what the
/// application has read (`QUICEngine.consumed`), so the peer can never have more in
/// flight than one window. Sending is bounded by `QUICEngine.sendBufferLimit`: a
/// writer waits while that much is written but not yet acknowledged.
struct QUICStreamBuffers {
    // Receive side.
    var received = Deque<ByteBuffer>()
    var finReceived = false
    /// The peer's RESET_STREAM code: reads throw from then on.
    var resetByPeer: UInt64?
    /// Set when the application will read no more (close, reset).
    var readClosed = false

    // Send side: `chunks` spans [ackedOffset, writtenOffset); ngtcp2 has taken
    // everything before `sentOffset`.
    var chunks = Deque<QUICSendChunk>()
    var ackedOffset: UInt64 = 0
    var sentOffset: UInt64 = 0
    var writtenOffset: UInt64 = 0
    var finRequested = false
    var finSent = false
    /// The peer's STOP_SENDING code: writes throw from then on.
    var stopSendingCode: UInt64?
    /// We reset the stream (RESET_STREAM + STOP_SENDING).
    var resetLocally = false
    /// Flow control stops us until the peer extends the stream's window.
    var dataBlocked = false
    /// In the engine's round-robin send queue.
    var queued = false

    /// ngtcp2 has closed the stream (both directions done, or reset).
    var closedByTransport = false
    /// The application has let go of the stream (close or reset).
    var released = false

    var unacknowledged: Int { Int(writtenOffset - ackedOffset) }

    var writeFailed: Bool { resetLocally || stopSendingCode != nil || resetByPeer != nil }

    var hasSomethingToSend: Bool {
        !writeFailed && !dataBlocked && (sentOffset < writtenOffset || (finRequested && !finSent))
    }

    /// Drops the chunks the peer has acknowledged up to `offset`.
    mutating func acknowledge(upTo offset: UInt64) {
        ackedOffset = max(ackedOffset, offset)
        while let first = chunks.first, first.end <= ackedOffset { chunks.removeFirst() }
    }
}
