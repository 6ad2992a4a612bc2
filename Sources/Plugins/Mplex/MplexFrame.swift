import NIOCore

/// The seven message kinds of mplex, as the low three bits of a frame header.
///
/// Each kind but `newStream` comes in two spellings: the side that opened the stream
/// sends the `…Initiator` one, the side that accepted it the `…Receiver` one. That is
/// what lets both peers use the same stream number at once.
public enum MplexFlag: UInt8, Sendable, CaseIterable {
    case newStream = 0
    case messageReceiver = 1
    case messageInitiator = 2
    case closeReceiver = 3
    case closeInitiator = 4
    case resetReceiver = 5
    case resetInitiator = 6

    public enum Kind: Sendable, Equatable {
        case newStream, message, close, reset
    }

    public var kind: Kind {
        switch self {
        case .newStream: return .newStream
        case .messageReceiver, .messageInitiator: return .message
        case .closeReceiver, .closeInitiator: return .close
        case .resetReceiver, .resetInitiator: return .reset
        }
    }

    /// True when the sender of this frame is the side that opened the stream
    /// (NewStream and the `…Initiator` flags are even).
    public var isFromStreamOpener: Bool { rawValue & 1 == 0 }

    /// The flag of `kind` as sent by the stream's opener (`fromOpener`) or its acceptor.
    public init(_ kind: Kind, fromOpener: Bool) {
        switch (kind, fromOpener) {
        case (.newStream, _): self = .newStream
        case (.message, true): self = .messageInitiator
        case (.message, false): self = .messageReceiver
        case (.close, true): self = .closeInitiator
        case (.close, false): self = .closeReceiver
        case (.reset, true): self = .resetInitiator
        case (.reset, false): self = .resetReceiver
        }
    }
}

/// One mplex message: `uvarint(streamID << 3 | flag)`, `uvarint(length)`, `length` bytes.
public struct MplexFrame: Sendable, Equatable {
    /// Stream numbers must leave room for the three flag bits in a 64-bit header.
    public static let maxStreamID: UInt64 = (1 << 61) - 1
    /// The largest payload go, rust, js and nim accept (1 MiB).
    public static let defaultMaxMessageSize = 1 << 20

    public var streamID: UInt64
    public var flag: MplexFlag
    public var payload: ByteBuffer

    public init(streamID: UInt64, flag: MplexFlag, payload: ByteBuffer = ByteBuffer()) {
        precondition(streamID <= Self.maxStreamID, "mplex stream ID \(streamID) does not fit in a header")
        self.streamID = streamID
        self.flag = flag
        self.payload = payload
    }

    /// The frame's wire bytes in one contiguous buffer, so it goes out in one write.
    public func encoded() -> ByteBuffer {
        let header = streamID << 3 | UInt64(flag.rawValue)
        let length = UInt64(payload.readableBytes)
        var out = ByteBufferAllocator().buffer(capacity: Self.varintSize(header) + Self.varintSize(length) + payload.readableBytes)
        Self.writeVarint(header, into: &out)
        Self.writeVarint(length, into: &out)
        out.writeImmutableBuffer(payload)
        return out
    }

    static func varintSize(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    static func writeVarint(_ value: UInt64, into buffer: inout ByteBuffer) {
        var v = value
        while v >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }
}

/// Why bytes from the peer are not a valid mplex frame.
public enum MplexFrameError: Error, Equatable, CustomStringConvertible {
    /// The low three bits of a header were 7, which no version of mplex defines.
    case unknownFlag(UInt8, streamID: UInt64)
    /// A frame announced more payload than the agreed maximum.
    case oversized(length: UInt64, limit: Int)
    /// The stream ended in the middle of a frame.
    case truncated(bufferedBytes: Int)
    /// A header or length varint was malformed (too long, overflowing, not minimal).
    case badVarint(field: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFlag(let flag, let id):
            return "mplex frame on stream \(id) has unknown flag \(flag)"
        case .oversized(let length, let limit):
            return "mplex frame of \(length) bytes exceeds the limit of \(limit)"
        case .truncated(let n):
            return "mplex stream ended inside a frame (\(n) bytes of an incomplete frame)"
        case .badVarint(let field, let reason):
            return "mplex frame \(field) is not a valid varint: \(reason)"
        }
    }
}
