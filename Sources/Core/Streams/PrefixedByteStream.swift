import NIOCore
import NIOConcurrencyHelpers

/// A byte stream whose first read returns bytes that an earlier layer read ahead,
/// then reads from `base`. Writes go straight to `base`.
public final class PrefixedByteStream: ByteStream {
    private let prefix: NIOLockedValueBox<ByteBuffer?>
    public let base: any ByteStream

    public init(prefix: ByteBuffer, base: any ByteStream) {
        self.prefix = NIOLockedValueBox(prefix.readableBytes > 0 ? prefix : nil)
        self.base = base
    }

    public func read() async throws -> ByteBuffer? {
        if let first = prefix.withLockedValue({ value -> ByteBuffer? in
            defer { value = nil }
            return value
        }) {
            return first
        }
        return try await base.read()
    }

    public func write(_ buffer: ByteBuffer) async throws { try await base.write(buffer) }
    public func closeWrite() async throws { try await base.closeWrite() }
    public func close() async { await base.close() }
}
