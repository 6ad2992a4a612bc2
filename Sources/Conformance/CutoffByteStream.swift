import LibP2PCore
import NIOCore
import NIOConcurrencyHelpers

/// A byte stream that lets the first `limit` written bytes through, then closes the
/// stream below: the write that crosses the limit sends only what fits and throws,
/// as do later writes. With `limit: .max` it only counts, which is how a check learns
/// how many bytes a handshake writes before choosing where to cut it.
public final class CutoffByteStream: ByteStream {
    public let base: any ByteStream
    public let limit: Int
    private let written = NIOLockedValueBox((count: 0, cut: false))

    public init(_ base: any ByteStream, limit: Int) {
        self.base = base
        self.limit = limit
    }

    /// Bytes passed to the stream below so far.
    public var bytesWritten: Int { written.withLockedValue { $0.count } }

    /// Whether a write crossed the limit (and the stream below was closed).
    public var didCut: Bool { written.withLockedValue { $0.cut } }

    public func read() async throws -> ByteBuffer? { try await base.read() }

    public func write(_ buffer: ByteBuffer) async throws {
        let allowed: Int = written.withLockedValue { state in
            let allowed = min(buffer.readableBytes, max(0, limit - state.count))
            state.count += allowed
            if allowed < buffer.readableBytes { state.cut = true }
            return allowed
        }
        if allowed > 0 {
            try await base.write(buffer.getSlice(at: buffer.readerIndex, length: allowed)!)
        }
        if allowed < buffer.readableBytes {
            await base.close()
            throw StreamError.closed
        }
    }

    public func closeWrite() async throws { try await base.closeWrite() }

    public func close() async { await base.close() }
}
