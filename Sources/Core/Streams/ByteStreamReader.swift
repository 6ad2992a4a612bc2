import NIOCore

/// Reads framed data (exact byte counts, varints, length-prefixed messages) from a
/// `ByteStream`, keeping whatever it read ahead. When a negotiation is done,
/// `remainingStream()` hands those read-ahead bytes on to the next layer, so a peer
/// that pipelines its next message behind a protocol echo loses nothing.
public struct ByteStreamReader: Sendable {
    public let stream: any ByteStream
    /// Bytes read from `stream` but not consumed yet.
    public private(set) var buffered: ByteBuffer

    public init(_ stream: any ByteStream, buffered: ByteBuffer = ByteBuffer()) {
        self.stream = stream
        self.buffered = buffered
    }

    /// Reads from the stream once, appending to the buffer. Returns false at end of stream.
    @discardableResult
    public mutating func fill() async throws -> Bool {
        guard var chunk = try await stream.read() else { return false }
        if buffered.readableBytes == 0 {
            buffered = chunk
        } else {
            // Drop the bytes already consumed first: a long-lived reader that always
            // holds a partial message would otherwise keep everything it ever read.
            buffered.discardReadBytes()
            buffered.writeBuffer(&chunk)
        }
        return true
    }

    /// Exactly `count` bytes; throws `StreamError.unexpectedEOF` if the stream ends first.
    ///
    /// Bytes that are already buffered come back as a slice, without a copy. Bytes
    /// that span chunks are gathered into one buffer of exactly `count` bytes, and
    /// what follows them in the last chunk stays buffered as it is: a big chunk is
    /// never copied to complete a small message, which on a bulk transfer (Noise
    /// frames cut across socket reads) would copy nearly every byte received. If
    /// the read fails or is cancelled halfway, nothing is consumed.
    public mutating func readExactly(_ count: Int, what: String = "data") async throws -> ByteBuffer {
        if buffered.readableBytes >= count { return buffered.readSlice(length: count)! }
        var gathered = ByteBufferAllocator().buffer(capacity: count)
        gathered.writeBuffer(&buffered)
        buffered = ByteBuffer()
        do {
            while gathered.readableBytes < count {
                guard var chunk = try await stream.read() else { throw StreamError.unexpectedEOF(what) }
                let needed = count - gathered.readableBytes
                if chunk.readableBytes <= needed {
                    gathered.writeBuffer(&chunk)
                } else {
                    var head = chunk.readSlice(length: needed)!
                    gathered.writeBuffer(&head)
                    buffered = chunk
                }
            }
        } catch {
            // What was gathered so far is everything unconsumed, in order.
            buffered = gathered
            throw error
        }
        return gathered
    }

    /// Whatever is buffered, or else the next chunk from the stream; `nil` at end of stream.
    public mutating func readSome() async throws -> ByteBuffer? {
        if buffered.readableBytes > 0 {
            let out = buffered
            buffered = ByteBuffer()
            return out
        }
        return try await stream.read()
    }

    /// An unsigned LEB128 varint of at most `maxBytes` bytes (9 covers 63 bits).
    public mutating func readUVarint(maxBytes: Int = 9, what: String = "varint") async throws -> UInt64 {
        while true {
            switch UVarint.decode(buffered.readableBytesView, maxBytes: maxBytes) {
            case .value(let value, let length):
                buffered.moveReaderIndex(forwardBy: length)
                return value
            case .needMoreBytes:
                guard try await fill() else { throw StreamError.unexpectedEOF(what) }
            case .invalid(let reason):
                throw VarintError.invalid(reason)
            }
        }
    }

    /// A uvarint length prefix followed by that many bytes; the length must be at most `limit`.
    public mutating func readLengthPrefixed(limit: Int, what: String = "message") async throws -> ByteBuffer {
        let length = try await readUVarint(what: "\(what) length")
        guard length <= UInt64(limit) else { throw StreamError.messageTooLarge(Int(clamping: length), limit: limit) }
        return try await readExactly(Int(length), what: what)
    }

    /// The underlying stream with any read-ahead bytes put back in front of it.
    public func remainingStream() -> any ByteStream {
        if buffered.readableBytes == 0 { return stream }
        return PrefixedByteStream(prefix: buffered, base: stream)
    }
}
