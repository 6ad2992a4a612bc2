import LibP2PConformance
import LibP2PCore
import NIOCore

/// Reproducible bytes for the QUIC stream tests: the same seed gives the same bytes,
/// different seeds differ, so lost, reordered or cross-wired data mismatches.
enum TestBytes {
    static func make(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: count + 8)
        out.withUnsafeMutableBytes { raw in
            var index = 0
            while index < count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: index, as: UInt64.self)
                index += 8
            }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// Writes `bytes` in 64 KiB writes.
    static func write(_ bytes: [UInt8], to stream: any ByteStream) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 64 * 1024)
            try await stream.write(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    /// Reads exactly `expected.count` bytes and says whether they are `expected`.
    static func readMatches(_ expected: [UInt8], from stream: any ByteStream) async throws -> Bool {
        try await readExactly(expected.count, from: stream) == expected
    }
}
