import NIOCore

/// An ordered, reliable, bidirectional stream of bytes: a TCP connection, a secure
/// channel, or one stream of a muxed connection. Every layer of the stack speaks it,
/// which is what lets the registry compose plugins at run time.
///
/// One task reads and one task writes at a time; the two may run concurrently. A
/// second concurrent reader gets an error (`StreamError.concurrentRead`), never
/// scrambled data. Bytes a layer reads ahead (during a negotiation or a handshake)
/// belong to the next layer: hand them on (`ByteStreamReader.remainingStream()`).
public protocol ByteStream: Sendable {
    /// The next chunk of bytes, or `nil` once the remote side has closed its write side.
    /// Never returns an empty buffer.
    ///
    /// After `nil`, every later `read()` returns `nil` again. A stream that ended
    /// abnormally (reset, protocol error, broken connection) throws instead: `nil` is
    /// only ever a clean end.
    func read() async throws -> ByteBuffer?

    /// Suspends until the bytes are accepted by the layer below: that is the backpressure.
    /// Never buffers without bound to return early. A write after `closeWrite()`,
    /// `close()` or a reset throws.
    func write(_ buffer: ByteBuffer) async throws

    /// Half-close: no more writes from us; reads go on until the remote closes.
    func closeWrite() async throws

    /// Closes both directions and releases resources. Pending reads and writes fail
    /// or return `nil` promptly. Idempotent.
    func close() async
}

extension ByteStream {
    /// Writes bytes given as an array.
    public func write(_ bytes: [UInt8]) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }
}

/// Errors shared by every byte-stream layer.
public enum StreamError: Error, Equatable, CustomStringConvertible {
    /// The stream ended before a complete message could be read.
    case unexpectedEOF(String)
    /// A length prefix or message exceeded a bound.
    case messageTooLarge(Int, limit: Int)
    /// A write after close, or a read after reset.
    case closed
    /// The remote side reset the stream.
    case reset
    /// A second task tried to read while another read was in progress.
    case concurrentRead

    public var description: String {
        switch self {
        case .unexpectedEOF(let what): return "stream ended while reading \(what)"
        case .messageTooLarge(let n, let limit): return "message of \(n) bytes exceeds the limit of \(limit)"
        case .closed: return "stream is closed"
        case .reset: return "stream was reset by the remote peer"
        case .concurrentRead: return "concurrent reads on one stream"
        }
    }
}
