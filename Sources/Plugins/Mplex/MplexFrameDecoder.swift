import LibP2PCore
import NIOCore

/// Cuts mplex frames out of a byte stream delivered in arbitrary chunks. Pure: feed it
/// bytes with `append`, take frames with `next()` until it returns nil, call `finish()`
/// at end of stream. It holds at most one incomplete frame plus the last chunk, and
/// rejects a frame as soon as its length is known to be too large.
public struct MplexFrameDecoder: Sendable {
    public let maxMessageSize: Int
    private var buffer = ByteBuffer()
    /// Whether frames were cut from `buffer` since the last `append`: their payloads are
    /// slices that share its storage, so appending in place would copy all of it.
    private var sliced = false

    public init(maxMessageSize: Int = MplexFrame.defaultMaxMessageSize) {
        precondition(maxMessageSize > 0)
        self.maxMessageSize = maxMessageSize
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedBytes: Int { buffer.readableBytes }

    public mutating func append(_ chunk: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = chunk
        } else if sliced {
            // The remainder is the tail of the last chunk (a frame was completed in it):
            // copying it into fresh storage costs at most one chunk and frees the old one.
            var fresh = ByteBufferAllocator().buffer(capacity: buffer.readableBytes + chunk.readableBytes)
            fresh.writeImmutableBuffer(buffer)
            fresh.writeImmutableBuffer(chunk)
            buffer = fresh
        } else {
            buffer.writeImmutableBuffer(chunk)
        }
        sliced = false
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(MplexFrameError) -> MplexFrame? {
        let view = buffer.readableBytesView
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
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength + lengthLength)
        let payload = buffer.readSlice(length: Int(length))!
        if buffer.readableBytes == 0 {
            buffer = ByteBuffer()
        } else {
            sliced = true
        }
        return MplexFrame(streamID: streamID, flag: flag, payload: payload)
    }

    /// Call at end of stream: throws if it ended inside a frame.
    public func finish() throws(MplexFrameError) {
        if buffer.readableBytes > 0 { throw .truncated(bufferedBytes: buffer.readableBytes) }
    }

    private static func varint<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxBytes: Int, field: String) throws(MplexFrameError) -> (UInt64, Int)? {
        switch UVarint.decode(bytes, maxBytes: maxBytes) {
        case .value(let value, let length): return (value, length)
        case .needMoreBytes: return nil
        case .invalid(let reason): throw .badVarint(field: field, reason: reason)
        }
    }
}
