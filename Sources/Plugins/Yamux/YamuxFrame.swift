import LibP2PMuxerScaffold
import NIOCore

/// The 12-byte yamux frame header: version, type, flags, stream ID, length, all
/// big-endian. What `length` means depends on the type: the payload size of a data
/// frame, the window delta of a window update, the opaque value of a ping, the error
/// code of a go away.
public struct YamuxFrameHeader: Equatable, Sendable, CustomStringConvertible {
    public static let size = 12
    /// The only version the spec defines.
    public static let version: UInt8 = 0

    public enum FrameType: UInt8, Sendable, CustomStringConvertible {
        case data = 0
        case windowUpdate = 1
        case ping = 2
        case goAway = 3

        public var description: String {
            switch self {
            case .data: return "data"
            case .windowUpdate: return "window-update"
            case .ping: return "ping"
            case .goAway: return "go-away"
            }
        }
    }

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Opens a stream; on a ping: a request.
        public static let syn = Flags(rawValue: 0x1)
        /// Accepts a stream; on a ping: the response.
        public static let ack = Flags(rawValue: 0x2)
        /// Half-close: the sender sends no more data on the stream.
        public static let fin = Flags(rawValue: 0x4)
        /// Abrupt close of both directions.
        public static let rst = Flags(rawValue: 0x8)
    }

    public var type: FrameType
    public var flags: Flags
    public var streamID: UInt32
    public var length: UInt32

    public init(type: FrameType, flags: Flags = [], streamID: UInt32, length: UInt32) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.length = length
    }

    public var description: String {
        "\(type)(stream \(streamID), flags 0x\(String(flags.rawValue, radix: 16)), length \(length))"
    }

    /// Appends the 12 header bytes to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.version)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags.rawValue)
        buffer.writeInteger(streamID)
        buffer.writeInteger(length)
    }

    /// The 12 header bytes.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.size)
        encode(into: &buffer)
        return buffer
    }

    /// Decodes exactly one header from the first 12 bytes of `bytes`.
    /// - Parameter maxDataLength: the largest payload a data frame may announce.
    public static func decode(_ bytes: some Collection<UInt8>, maxDataLength: UInt32 = .max) throws(YamuxFrameError) -> YamuxFrameHeader {
        guard bytes.count >= size else { throw .truncated(needed: size, available: bytes.count, what: "frame header") }
        var buffer = ByteBuffer(bytes: bytes.prefix(size))
        return try read(from: &buffer, maxDataLength: maxDataLength)!
    }

    /// Reads a header from the front of `buffer`; `nil` (and nothing consumed) while
    /// fewer than 12 bytes are there.
    static func read(from buffer: inout ByteBuffer, maxDataLength: UInt32) throws(YamuxFrameError) -> YamuxFrameHeader? {
        guard buffer.readableBytes >= size,
              let version = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let rawType = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self),
              let rawFlags = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self),
              let streamID = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt32.self)
        else { return nil }
        guard version == Self.version else { throw .unknownVersion(version) }
        guard let type = FrameType(rawValue: rawType) else { throw .unknownType(rawType) }
        if type == .data, length > maxDataLength {
            throw .dataTooLarge(length: length, limit: maxDataLength)
        }
        buffer.moveReaderIndex(forwardBy: size)
        // Unknown flag bits are ignored: the spec reserves them, and refusing them
        // would only hurt interop with a future revision.
        return YamuxFrameHeader(type: type, flags: Flags(rawValue: rawFlags), streamID: streamID, length: length)
    }
}

/// A whole frame: the header and, for a data frame, its payload.
public struct YamuxFrame: Equatable, Sendable {
    public var header: YamuxFrameHeader
    public var payload: ByteBuffer

    public init(header: YamuxFrameHeader, payload: ByteBuffer = ByteBuffer()) {
        self.header = header
        self.payload = payload
    }

    /// The frame as it goes on the wire: header, then payload.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(YamuxFrameHeader.size + payload.readableBytes)
        header.encode(into: &buffer)
        buffer.writeImmutableBuffer(payload)
        return buffer
    }
}

/// Why bytes could not be decoded as yamux frames.
public enum YamuxFrameError: Error, Equatable, CustomStringConvertible {
    case unknownVersion(UInt8)
    case unknownType(UInt8)
    case truncated(needed: Int, available: Int, what: String)
    case dataTooLarge(length: UInt32, limit: UInt32)

    public var description: String {
        switch self {
        case .unknownVersion(let version):
            return "yamux frame has unknown version \(version) (only 0 is defined)"
        case .unknownType(let type):
            return "yamux frame has unknown type \(type) (0 data, 1 window update, 2 ping, 3 go away)"
        case .truncated(let needed, let available, let what):
            return "yamux input ended inside a \(what): needed \(needed) bytes, had \(available)"
        case .dataTooLarge(let length, let limit):
            return "yamux data frame of \(length) bytes exceeds the limit of \(limit)"
        }
    }
}

/// Splits a byte stream into frames. Pure: feed it chunks with `append`, take frames
/// with `next()`, call `finish()` at end of input to learn whether a frame was cut off.
/// Payloads are slices of the chunks they came in; only a frame cut across chunks is
/// copied (`FrameInput`).
public struct YamuxFrameDecoder: Sendable {
    /// The largest payload a data frame may announce (no frame can legitimately carry
    /// more than the receive window we grant).
    public let maxDataLength: UInt32
    private var input = FrameInput()
    private var pendingHeader: YamuxFrameHeader?

    public init(maxDataLength: UInt32) {
        self.maxDataLength = maxDataLength
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedBytes: Int { input.count + (pendingHeader == nil ? 0 : YamuxFrameHeader.size) }

    public mutating func append(_ chunk: ByteBuffer) {
        input.append(chunk)
    }

    /// The next complete frame, or `nil` until more bytes arrive.
    public mutating func next() throws(YamuxFrameError) -> YamuxFrame? {
        if pendingHeader == nil {
            guard input.gather(YamuxFrameHeader.size),
                  let header = try YamuxFrameHeader.read(from: &input.front, maxDataLength: maxDataLength)
            else { return nil }
            guard header.type == .data else { return YamuxFrame(header: header) }
            pendingHeader = header
        }
        guard let header = pendingHeader, input.gather(Int(header.length)),
              let payload = input.front.readSlice(length: Int(header.length))
        else { return nil }
        pendingHeader = nil
        return YamuxFrame(header: header, payload: payload)
    }

    /// Call at end of input: throws if a frame was cut off.
    public func finish() throws(YamuxFrameError) {
        if let header = pendingHeader {
            throw .truncated(needed: Int(header.length), available: input.count, what: "data frame payload")
        }
        if input.count > 0 {
            throw .truncated(needed: YamuxFrameHeader.size, available: input.count, what: "frame header")
        }
    }
}
