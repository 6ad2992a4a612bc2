import NIOCore

/// Reproducible test data that is cheap to send and to check in debug builds.
///
/// A stream's bytes are a window sliding over one pseudo-random block of `period`
/// bytes repeated (a prime, so it lines up with no frame size), starting at a
/// per-stream offset. The sender writes slices of one shared buffer (no copying, no
/// generation per byte); the receiver compares what it gets with `memcmp` (via
/// `ByteBuffer`'s `==`) against the slice it expects. Lost, duplicated, reordered,
/// corrupted or cross-wired bytes all mismatch; the count is checked too.
struct TestPattern: Sendable {
    static let period = 1_000_003
    /// The longest slice served without copying.
    static let maxSlice = 4 << 20
    static let shared = TestPattern()

    /// The block repeated, so any slice of up to `maxSlice` bytes is contiguous.
    private let repeated: ByteBuffer

    private init() {
        var generator = SplitMix64(seed: 0x6C69_6270_3270_7377)
        var block = ByteBufferAllocator().buffer(capacity: Self.period + 8)
        while block.readableBytes < Self.period {
            block.writeInteger(generator.next())
        }
        block.moveWriterIndex(to: Self.period)
        var buffer = ByteBufferAllocator().buffer(capacity: Self.period + Self.maxSlice)
        while buffer.readableBytes < Self.period + Self.maxSlice {
            buffer.writeImmutableBuffer(block)
        }
        repeated = buffer
    }

    /// `length` bytes of the stream that starts at `start`, from position `position`
    /// of that stream: a slice of one shared buffer, or a copy beyond `maxSlice`.
    func slice(start: Int, position: Int, length: Int) -> ByteBuffer {
        let offset = (start + position) % Self.period
        if length <= Self.maxSlice { return repeated.getSlice(at: offset, length: length)! }
        var out = ByteBufferAllocator().buffer(capacity: length)
        var done = 0
        while done < length {
            let piece = min(Self.maxSlice, length - done)
            out.writeImmutableBuffer(slice(start: start, position: position + done, length: piece))
            done += piece
        }
        return out
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
