#if canImport(Glibc)
import Glibc
#endif
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PTCP
@testable import LibP2PSockets

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A listener on `host` (port 0) and one connection through it, both ends.
struct ConnectedPair: Sendable {
    let listener: any Listener
    let client: any RawConnection
    let server: any RawConnection

    static func make(host: String = "/ip4/127.0.0.1") async throws -> ConnectedPair {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("\(host)/tcp/0"))
        return try await withTimeout {
            async let server = listener.accept()
            let client = try await transport.dial(listener.localAddresses[0])
            guard let server = try await server else { throw TestFailure("accept() returned nil") }
            return ConnectedPair(listener: listener, client: client, server: server)
        }
    }

    func close() async {
        await client.close()
        await server.close()
        await listener.close()
    }
}

/// A deterministic byte pattern with a prime period, so that a lost, repeated or
/// reordered chunk shows at any offset. Generated and checked with memcpy/memcmp:
/// byte-by-byte loops are too slow in debug builds for tens of MiB.
enum Pattern {
    static let period = 65_521
    /// Two periods back to back, so any `period`-long window is one contiguous slice.
    static let table: [UInt8] = (0..<2 * period).map { i in
        let j = i % period
        return UInt8(truncatingIfNeeded: j &* 131 &+ j >> 7)
    }

    /// `count` bytes of the pattern starting at stream offset `offset`.
    static func bytes(from offset: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        var done = 0
        while done < count {
            let start = (offset + done) % period
            let n = min(count - done, period)
            _ = table.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[start..<start + n])) }
            done += n
        }
        return buffer
    }

    /// Whether `chunk` holds the pattern from stream offset `offset`.
    static func matches(_ chunk: ByteBuffer, at offset: Int) -> Bool {
        chunk.withUnsafeReadableBytes { bytes in
            table.withUnsafeBytes { table in
                var done = 0
                while done < bytes.count {
                    let start = (offset + done) % period
                    let n = min(bytes.count - done, period)
                    if memcmp(bytes.baseAddress! + done, table.baseAddress! + start, n) != 0 { return false }
                    done += n
                }
                return true
            }
        }
    }
}

func pattern(from offset: Int, count: Int) -> ByteBuffer {
    Pattern.bytes(from: offset, count: count)
}

/// Writes `total` pattern bytes in chunks of varying sizes.
func writePattern(_ stream: any ByteStream, total: Int) async throws {
    var offset = 0
    var step = 0
    while offset < total {
        let size = min(total - offset, [1, 7_000, 65_536, 200_000, 1_234][step % 5])
        try await stream.write(pattern(from: offset, count: size))
        offset += size
        step += 1
    }
}

/// Reads to end of stream, checking every byte against the pattern; returns the count.
func readPattern(_ stream: any ByteStream) async throws -> Int {
    var offset = 0
    while let chunk = try await stream.read() {
        #expect(chunk.readableBytes > 0, "a read returned an empty buffer")
        guard Pattern.matches(chunk, at: offset) else {
            throw TestFailure("bytes \(offset)..<\(offset + chunk.readableBytes) differ from what was sent")
        }
        offset += chunk.readableBytes
    }
    return offset
}

func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
