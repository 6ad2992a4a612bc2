import LibP2PCore
import LibP2PMuxerScaffold
import NIOCore

/// Cuts mplex frames out of a byte stream delivered in arbitrary chunks. Pure: feed it
/// bytes with `append`, take frames with `next()` until it returns nil, call `finish()`
/// at end of stream. It holds at most one incomplete frame plus the chunks behind it,
/// and rejects a frame as soon as its length is known to be too large. Payloads are
/// slices of the chunks they came in; only a frame cut across chunks is copied
/// (`FrameInput`).
public struct MplexFrameDecoder: Sendable {
    public let maxMessageSize: Int
    private var input = FrameInput()
    /// The longest header: a 10-byte stream ID and flag varint, a 9-byte length.
    static let maxHeaderLength = 19

    public init(maxMessageSize: Int = MplexFrame.defaultMaxMessageSize) {
        precondition(maxMessageSize > 0)
        self.maxMessageSize = maxMessageSize
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedBytes: Int { input.count }

    public mutating func append(_ chunk: ByteBuffer) {
        input.append(chunk)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(MplexFrameError) -> MplexFrame? {
        // The header may be cut across chunks: bring what there is of it together.
        input.gather(min(Self.maxHeaderLength, input.count))
        let view = input.front.readableBytesView
        guard let (header, headerLength) = try Self.varint(view, maxBytes: 10, field: "header") else {
            return nil
        }
        let streamID = header >> 3
        guard let flag = MplexFlag(rawValue: UInt8(header & 7)) else {
            throw .unknownFlag(UInt8(header & 7), streamID: streamID)
        }
        guard let (length, lengthLength) = try Self.varint(view.dropFirst(headerLength), maxBytes: 9, field: "length") else {
            return nil
        }
        guard length <= UInt64(maxMessageSize) else {
            throw .oversized(length: length, limit: maxMessageSize)
        }
        let total = headerLength + lengthLength + Int(length)
        guard input.gather(total) else { return nil }
        input.front.moveReaderIndex(forwardBy: headerLength + lengthLength)
        let payload = input.front.readSlice(length: Int(length))!
        return MplexFrame(streamID: streamID, flag: flag, payload: payload)
    }

    /// Call at end of stream: throws if it ended inside a frame.
    public func finish() throws(MplexFrameError) {
        if input.count > 0 { throw .truncated(bufferedBytes: input.count) }
    }

    private static func varint<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxBytes: Int, field: String) throws(MplexFrameError) -> (UInt64, Int)? {
        switch UVarint.decode(bytes, maxBytes: maxBytes) {
        case .value(let value, let length): return (value, length)
        case .needMoreBytes: return nil
        case .invalid(let reason): throw .badVarint(field: field, reason: reason)
        }
    }
}
