import NIOCore

/// The bytes one stream has received and its reader has not taken yet, in order.
///
/// mplex has no flow control, so this is where a fast writer's data piles up; the
/// session caps `byteCount` and resets a stream that overruns it. To make the count
/// mean real memory, a payload that is a small slice of a large buffer (the rest of
/// which belongs to other frames) is copied out instead of pinning that buffer; small
/// payloads are packed together so a flood of one-byte frames costs bytes, not buffers.
struct MplexReceiveBuffer {
    /// Payloads smaller than this are packed into shared buffers of this capacity.
    static let packingCapacity = 4096

    private var chunks: [ByteBuffer] = []
    private var head = 0
    /// Whether the last chunk is one of our packing buffers (never handed out yet).
    private var tailIsPacked = false
    private(set) var byteCount = 0

    var isEmpty: Bool { byteCount == 0 }

    mutating func append(_ payload: ByteBuffer) {
        let count = payload.readableBytes
        guard count > 0 else { return }
        byteCount += count
        if count * 2 >= payload.storageCapacity {
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

    mutating func popFirst() -> ByteBuffer? {
        guard head < chunks.count else { return nil }
        let chunk = chunks[head]
        chunks[head] = ByteBuffer()
        head += 1
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
            tailIsPacked = false
        } else if head > 64, head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
        byteCount -= chunk.readableBytes
        return chunk
    }

    mutating func removeAll() {
        chunks = []
        head = 0
        tailIsPacked = false
        byteCount = 0
    }
}
