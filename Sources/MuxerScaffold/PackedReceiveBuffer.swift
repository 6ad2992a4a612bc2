import DequeModule
import NIOCore

/// The bytes one stream has received and its reader has not taken yet, in order,
/// for a muxer without flow control (mplex), where this is where a fast writer's
/// data piles up and the muxer caps `byteCount`.
///
/// To make the count mean real memory, a payload that is a small slice of a large
/// buffer (the rest of which belongs to other frames) is copied out instead of
/// pinning that buffer, and small payloads are packed together, so a flood of
/// one-byte frames costs bytes, not buffers. Large payloads are kept as they are.
public struct PackedReceiveBuffer: Sendable {
    /// Payloads smaller than this are packed into shared buffers of this capacity.
    public static let packingCapacity = 4096

    private var chunks = Deque<ByteBuffer>()
    /// Whether the last chunk is one of our packing buffers (never handed out yet).
    private var tailIsPacked = false
    public private(set) var byteCount = 0
    /// A payload is kept as it is while its storage is at most this many times its
    /// size; a smaller slice is copied out so that it does not pin the rest.
    public let maxStorageRatio: Int

    /// - Parameter maxStorageRatio: how much memory a kept payload may pin, as a
    ///   multiple of its size. 2 by default; a muxer whose window already bounds
    ///   the count tightly may allow more, so that frames sliced out of a big read
    ///   (several per chunk) are not copied.
    public init(maxStorageRatio: Int = 2) {
        precondition(maxStorageRatio >= 1)
        self.maxStorageRatio = maxStorageRatio
    }

    public var isEmpty: Bool { byteCount == 0 }

    public mutating func append(_ payload: ByteBuffer) {
        let count = payload.readableBytes
        guard count > 0 else { return }
        byteCount += count
        if count * maxStorageRatio >= payload.storageCapacity {
            chunks.append(payload)
            tailIsPacked = false
        } else if tailIsPacked, chunks[chunks.count - 1].writableBytes >= count {
            chunks[chunks.count - 1].writeImmutableBuffer(payload)
        } else {
            var packed = ByteBufferAllocator().buffer(capacity: max(count, Self.packingCapacity))
            packed.writeImmutableBuffer(payload)
            chunks.append(packed)
            tailIsPacked = true
        }
    }

    public mutating func popFirst() -> ByteBuffer? {
        guard let chunk = chunks.popFirst() else { return nil }
        if chunks.isEmpty { tailIsPacked = false }
        byteCount -= chunk.readableBytes
        return chunk
    }

    public mutating func removeAll() {
        chunks.removeAll()
        tailIsPacked = false
        byteCount = 0
    }
}
