import NIOCore

/// The bytes a frame decoder has received and not decoded yet, kept as the chunks
/// they arrived in. Frames are sliced out of `front` without a copy; a frame cut
/// across chunks is gathered into a buffer of its own size (`gather`), so only its
/// bytes are copied and the chunk that completes it never is. Copying whole chunks
/// to complete frames would, on a bulk transfer whose frames straddle reads, copy
/// nearly every byte received.
public struct FrameInput: Sendable {
    /// Chunks smaller than this are appended to the last queued chunk instead of
    /// being queued: a peer sending tiny chunks must not make us hold a buffer per byte.
    public static let smallChunk = 4096

    /// Where the decoder reads: the current chunk, or a gathered frame.
    public var front = ByteBuffer()
    /// Chunks that arrived behind `front`: at most the rest of one frame plus what
    /// followed it, as long as the decoder takes every complete frame.
    private var following = CircularBuffer<ByteBuffer>()
    private var followingBytes = 0

    public init() {}

    /// Every byte not decoded yet.
    public var count: Int { front.readableBytes + followingBytes }

    public mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        if front.readableBytes == 0 && following.isEmpty {
            front = chunk
        } else if chunk.readableBytes < Self.smallChunk, !following.isEmpty {
            following[following.index(before: following.endIndex)].writeImmutableBuffer(chunk)
            followingBytes += chunk.readableBytes
        } else {
            following.append(chunk)
            followingBytes += chunk.readableBytes
        }
    }

    /// Makes `front` hold at least `count` bytes, if that many have arrived, copying
    /// only the bytes that complete them out of the following chunks. False until then.
    @discardableResult
    public mutating func gather(_ count: Int) -> Bool {
        if front.readableBytes == 0, let next = following.popFirst() {
            front = next
            followingBytes -= next.readableBytes
        }
        if front.readableBytes >= count { return true }
        guard front.readableBytes + followingBytes >= count else { return false }
        var gathered = ByteBufferAllocator().buffer(capacity: count)
        gathered.writeBuffer(&front)
        while gathered.readableBytes < count {
            var next = following.removeFirst()
            followingBytes -= next.readableBytes
            let needed = count - gathered.readableBytes
            if next.readableBytes <= needed {
                gathered.writeBuffer(&next)
            } else {
                var head = next.readSlice(length: needed)!
                gathered.writeBuffer(&head)
                following.prepend(next)
                followingBytes += next.readableBytes
            }
        }
        front = gathered
        return true
    }
}
