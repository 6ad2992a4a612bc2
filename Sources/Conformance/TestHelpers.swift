import LibP2PCore
import NIOCore

// Small helpers every test target shares, so that none keeps its own copy.

/// The outcome of `body`, errors included, for tests that must look at a failure
/// (or at both sides of a handshake).
public func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

extension Result {
    /// The error, if this is a failure.
    public var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Reads exactly `count` bytes; throws `StreamError.unexpectedEOF` if the stream ends
/// first (or hands out an empty buffer, which the contract forbids).
public func readExactly(_ count: Int, from stream: any ByteStream) async throws -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        guard let chunk = try await stream.read() else {
            throw StreamError.unexpectedEOF("\(count) bytes (got \(out.count))")
        }
        guard chunk.readableBytes > 0 else { throw StreamError.unexpectedEOF("read() returned an empty buffer") }
        out += chunk.readableBytesView
    }
    return out
}

extension ByteStream {
    /// Reads until end of stream, bounded by `limit` bytes; an empty buffer (which
    /// the contract forbids) is an error.
    public func readAll(limit: Int = 1 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try await read() {
            guard chunk.readableBytes > 0 else { throw StreamError.unexpectedEOF("read() returned an empty buffer") }
            out += chunk.readableBytesView
            if out.count > limit { throw StreamError.messageTooLarge(out.count, limit: limit) }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Bytes from a hex string; white space is ignored. Traps on bad hex (test data only).
    public init(hex: String) {
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

    /// Lower-case hex.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }
}

extension ByteBuffer {
    /// The readable bytes, as an array.
    public var bytes: [UInt8] { Array(readableBytesView) }
}

/// The error `body` threw, or nil if it returned.
public func caughtError(_ body: () async throws -> Void) async -> (any Error)? {
    await outcome(body).error
}
