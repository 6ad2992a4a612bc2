import LibP2PCore
import NIOCore

/// The thrown error of `body`, or nil if it returned. Lets a test check which
/// error came out without `#expect(throws:)` losing the value.
func caughtError(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

extension Array where Element == UInt8 {
    /// Bytes from a hex string; spaces are ignored. Traps on bad hex (test data only).
    init(hex: String) {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        precondition(digits.count % 2 == 0, "odd-length hex")
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: preconditionFailure("bad hex digit")
            }
        }
        self = stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }

    var hex: String { map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
}

extension ByteBuffer {
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

extension ByteStream {
    /// Reads until end of stream, bounded by `limit` bytes.
    func readAll(limit: Int = 1 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try await read() {
            out += chunk.bytes
            if out.count > limit { throw StreamError.messageTooLarge(out.count, limit: limit) }
        }
        return out
    }
}
