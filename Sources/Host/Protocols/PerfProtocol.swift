import LibP2PCore
import NIOCore

/// `/perf/1.0.0` (libp2p/specs `perf/perf.md`): the client writes a big-endian
/// u64 — how many bytes it wants back — then uploads, closes its write side and
/// reads to the end; the server drains the upload to its end, sends the
/// requested bytes and closes. The spec says a host should not serve it by
/// default, so a host serves it only after `Host.enablePerf(limits:)`.
///
/// (unified-testing's rust and dotnet perf images send a 16-byte header; that is
/// not the spec, and go and py follow the spec, as we do.)
public enum PerfProtocol {
    public static let id = "/perf/1.0.0"
    /// Bytes per write, as go and py use: big enough that per-write costs vanish,
    /// small enough for every muxer's frame and window.
    public static let blockSize = 64 * 1024
    public static let headerSize = 8

    /// One zero-filled block; writes share its storage (`ByteBuffer` is copy on write).
    static let zeroBlock = ByteBuffer(repeating: 0, count: blockSize)

    /// The request header: `bytes` as a big-endian u64.
    public static func header(requesting bytes: UInt64) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(bytes, endianness: .big)
        return buffer
    }

    /// The server side of one stream, bounded by `limits`: reads the header,
    /// drains the upload to its end, sends the requested bytes, closes. A short
    /// header, an over-limit request or upload, or a failed write throws
    /// (`PerfError`) after resetting the stream.
    public static func serve(_ stream: any ByteStream, limits: PerfLimits = PerfLimits()) async throws {
        do {
            var reader = ByteStreamReader(stream)
            let requested = try await readHeader(from: &reader)
            guard requested <= limits.maxSendBytes else {
                throw PerfError.requestTooLarge(requested: requested, limit: limits.maxSendBytes)
            }
            var uploaded: UInt64 = 0
            while let chunk = try await reader.readSome() {
                uploaded += UInt64(chunk.readableBytes)
                if uploaded > limits.maxReceiveBytes { throw PerfError.uploadTooLarge(limit: limits.maxReceiveBytes) }
            }
            try await send(requested, on: stream)
            try await stream.closeWrite()
        } catch {
            if let stream = stream as? ProtocolStream { await stream.reset() }
            throw error
        }
    }

    /// The 8-byte header; anything read past it stays buffered in `reader`.
    static func readHeader(from reader: inout ByteStreamReader) async throws -> UInt64 {
        while reader.buffered.readableBytes < headerSize {
            guard try await reader.fill() else { throw PerfError.shortHeader(received: reader.buffered.readableBytes) }
        }
        var header = try await reader.readExactly(headerSize, what: "perf header")
        return header.readInteger(endianness: .big, as: UInt64.self)!
    }

    /// Writes `count` zero bytes in blocks; `progress` hears each block's size.
    static func send(_ count: UInt64, on stream: any ByteStream, progress: (Int) -> Void = { _ in }) async throws {
        var remaining = count
        while remaining > 0 {
            let size = Int(min(UInt64(blockSize), remaining))
            try await stream.write(size == blockSize ? zeroBlock : zeroBlock.getSlice(at: 0, length: size)!)
            remaining -= UInt64(size)
            progress(size)
        }
    }
}

/// What a perf server accepts on one stream. The spec lets a client ask for any
/// u64; a server that honoured that could be made to stream for days, so both
/// directions are capped (defaults: 64 GiB each, far above any harness's 1 GiB).
public struct PerfLimits: Sendable, Equatable {
    /// The most bytes a client may ask us to send back.
    public var maxSendBytes: UInt64
    /// The most bytes a client may upload on one stream.
    public var maxReceiveBytes: UInt64

    public static let defaultCap: UInt64 = 64 << 30

    public init(maxSendBytes: UInt64 = defaultCap, maxReceiveBytes: UInt64 = defaultCap) {
        self.maxSendBytes = maxSendBytes
        self.maxReceiveBytes = maxReceiveBytes
    }
}

public enum PerfError: Error, Equatable, CustomStringConvertible {
    /// The stream ended before the 8-byte header was complete.
    case shortHeader(received: Int)
    /// The client asked for more bytes than the server's limit.
    case requestTooLarge(requested: UInt64, limit: UInt64)
    /// The client uploaded more than the server's limit.
    case uploadTooLarge(limit: UInt64)
    /// The server sent back a different number of bytes than asked for.
    case wrongDownload(expected: UInt64, received: UInt64)

    public var description: String {
        switch self {
        case .shortHeader(let received):
            return "the perf stream ended after \(received) of the header's 8 bytes"
        case .requestTooLarge(let requested, let limit):
            return "the perf client asked for \(requested) bytes, over the limit of \(limit)"
        case .uploadTooLarge(let limit):
            return "the perf client uploaded more than the limit of \(limit) bytes"
        case .wrongDownload(let expected, let received):
            return "the perf server sent \(received) bytes where \(expected) were asked for"
        }
    }
}
