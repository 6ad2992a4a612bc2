import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing
@testable import LibP2PQUIC

/// QUIC streams as muxed streams, Swift × Swift over real UDP sockets.
@Suite struct QUICStreamTests {
    /// Runs `body` with a connected pair whose `run()`s go on in the background, then
    /// closes everything and requires both `run()`s to return.
    static func withPair(
        _ transport: QUICTransport = QUICTransport(), timeout: Double = 60,
        _ body: @escaping @Sendable (QUICPair) async throws -> Void
    ) async throws {
        try await withTimeout(timeout) {
            let pair = try await QUICPair.make(transport: transport)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pair.client.run() }
                group.addTask { try await pair.server.run() }
                let result = await outcome { try await body(pair) }
                await pair.close()
                try await group.waitForAll()
                try result.get()
            }
        }
    }

    /// Echoes every inbound stream until the connection ends.
    static func echoAll(_ connection: QUICConnection) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            while let stream = try await connection.acceptStream() {
                group.addTask {
                    while let chunk = try await stream.read() { try await stream.write(chunk) }
                    try await stream.closeWrite()
                    await stream.close()
                }
            }
            try await group.waitForAll()
        }
    }

    static let streamCount = 200

    @Test("200 streams at once, each echoing its own bytes")
    func manyStreams() async throws {
        try await Self.withPair { pair in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.echoAll(pair.server) }
                try await withThrowingTaskGroup(of: Void.self) { streams in
                    for index in 0..<Self.streamCount {
                        streams.addTask {
                            let stream = try await pair.client.openStream()
                            let message = TestBytes.make(count: 1000 + index, seed: UInt64(index))
                            try await stream.write(message)
                            try await stream.closeWrite()
                            #expect(try await stream.readAll() == message)
                            await stream.close()
                        }
                    }
                    try await streams.waitForAll()
                }
                await pair.client.close()
                try await group.waitForAll()
            }
        }
    }

    @Test("16 MiB each way on one stream at once, every byte checked")
    func largeTransfer() async throws {
        let size = 16 << 20
        let fromDialer = TestBytes.make(count: size, seed: 1)
        let fromListener = TestBytes.make(count: size, seed: 2)
        try await Self.withPair(timeout: 120) { pair in
            let outbound = try await pair.client.openStream()
            try await outbound.write(Array("go".utf8))
            let inbound = try #require(try await pair.server.acceptStream())
            #expect(try await readExactly(2, from: inbound) == Array("go".utf8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (stream, bytes) in [(outbound as any ByteStream, fromDialer), (inbound, fromListener)] {
                    group.addTask {
                        try await TestBytes.write(bytes, to: stream)
                        try await stream.closeWrite()
                    }
                }
                group.addTask { let ok = try await TestBytes.readMatches(fromListener, from: outbound); #expect(ok) }
                group.addTask { let ok = try await TestBytes.readMatches(fromDialer, from: inbound); #expect(ok) }
                try await group.waitForAll()
            }
            #expect(try await outbound.read() == nil)
            #expect(try await inbound.read() == nil)
        }
    }

    @Test("closeWrite ends the peer's reads while the other direction goes on")
    func halfClose() async throws {
        try await Self.withPair { pair in
            let outbound = try await pair.client.openStream()
            try await outbound.write(Array("request".utf8))
            try await outbound.closeWrite()
            await #expect(throws: (any Error).self) { try await outbound.write(Array("more".utf8)) }
            let inbound = try #require(try await pair.server.acceptStream())
            #expect(try await inbound.readAll() == Array("request".utf8))
            #expect(try await inbound.read() == nil)
            for index in 0..<3 { try await inbound.write(Array("reply \(index);".utf8)) }
            try await inbound.closeWrite()
            #expect(try await outbound.readAll() == Array("reply 0;reply 1;reply 2;".utf8))
        }
    }

    @Test("reset fails the peer's pending read and later writes, and our own", arguments: [true, false])
    func reset(dialerResets: Bool) async throws {
        try await Self.withPair { pair in
            let outbound = try await pair.client.openStream()
            try await outbound.write(Array("hello".utf8))
            let inbound = try #require(try await pair.server.acceptStream())
            #expect(try await readExactly(5, from: inbound) == Array("hello".utf8))
            let (resetter, other) = dialerResets ? (outbound, inbound) : (inbound, outbound)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await #expect(throws: (any Error).self) { while try await other.read() != nil {} }
                }
                await resetter.reset()
                try await group.waitForAll()
            }
            await #expect(throws: (any Error).self) { try await resetter.write(Array("x".utf8)) }
            await #expect(throws: (any Error).self) { try await resetter.read() }
            // The peer's writes fail once STOP_SENDING has arrived; the read above saw the reset.
            await #expect(throws: (any Error).self) {
                for _ in 0..<100 { try await other.write(Array("x".utf8)) }
            }
            // The connection itself is unharmed.
            let again = try await pair.client.openStream()
            try await again.write(Array("still here".utf8))
            try await again.closeWrite()
            let next = try #require(try await pair.server.acceptStream())
            #expect(try await next.readAll() == Array("still here".utf8))
        }
    }
}
