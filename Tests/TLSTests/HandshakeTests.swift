import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import LibP2PTLS
import NIOCore
import Testing

/// Two `TLSSecurity` peers over a MemoryPipe: identities, data, close semantics, ALPN.
@Suite struct HandshakeTests {
    @Test("the plugin names itself as the registry and multistream expect")
    func names() {
        #expect(TLSSecurity().name == "tls")
        #expect(TLSSecurity().protocolID == "/tls/1.0.0")
    }

    @Test("each side learns the other's peer ID and key, and knows its own")
    func identities() async throws {
        let pair = try await withTimeout { try await handshakePair() }
        #expect(pair.client.remotePeer == pair.serverKey.peerID)
        #expect(pair.server.remotePeer == pair.clientKey.peerID)
        #expect(pair.client.remotePublicKey == pair.serverKey.publicKey)
        #expect(pair.server.remotePublicKey == pair.clientKey.publicKey)
        #expect(pair.client.localPeer == pair.clientKey.peerID)
        #expect(pair.server.localPeer == pair.serverKey.peerID)
        await pair.client.close()
        await pair.server.close()
    }

    @Test("a dialer that expects no particular peer accepts whoever answers")
    func noExpectation() async throws {
        let pair = try await withTimeout { try await handshakePair(expecting: nil) }
        #expect(pair.client.remotePeer == pair.serverKey.peerID)
        await pair.client.close()
        await pair.server.close()
    }

    @Test("a dialer refuses a peer other than the one it dialed")
    func wrongPeer() async throws {
        let someoneElse = PrivateKey.generateEd25519().peerID
        let error = await #expect(throws: SecurityError.self) {
            try await withTimeout { try await handshakePair(expecting: { _ in someoneElse }) }
        }
        guard case .peerIDMismatch(let expected, _) = error else {
            Issue.record("expected peerIDMismatch, got \(String(describing: error))")
            return
        }
        #expect(expected == someoneElse)
        #expect(error.map { "\($0)" }?.contains("expected \(someoneElse)") == true)
    }

    @Test("bytes cross both ways at once, 300 KB one way and 170 KB the other, then end cleanly")
    func bulkBothWays() async throws {
        try await withTimeout {
            let pair = try await handshakePair()
            let toServer = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let toClient = (0..<170_001).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
            async let clientReceived = exchange(pair.client, send: toServer)
            async let serverReceived = exchange(pair.server, send: toClient)
            #expect(try await serverReceived == toServer)
            #expect(try await clientReceived == toClient)
            await pair.client.close()
            await pair.server.close()
        }
    }

    @Test("closeWrite sends close_notify: the peer reads end of stream and can still answer")
    func halfClose() async throws {
        try await withTimeout {
            let pair = try await handshakePair()
            try await pair.client.write(Array("request".utf8))
            try await pair.client.closeWrite()
            try await pair.client.closeWrite()  // idempotent
            #expect(try await pair.server.readAll(limit: 4 << 20) == Array("request".utf8))
            try await pair.server.write(Array("response".utf8))
            try await pair.server.closeWrite()
            #expect(try await pair.client.readAll(limit: 4 << 20) == Array("response".utf8))
            await #expect(throws: StreamError.closed) { try await pair.client.write(Array("late".utf8)) }
            await pair.client.close()
            await pair.server.close()
        }
    }

    @Test("after close, reads end and writes fail; the peer sees end of stream")
    func close() async throws {
        try await withTimeout {
            let pair = try await handshakePair()
            await pair.client.close()
            #expect(try await pair.client.read() == nil)
            await #expect(throws: StreamError.closed) { try await pair.client.write(Array("x".utf8)) }
            #expect(try await pair.server.read() == nil)
            await pair.server.close()
        }
    }

    @Test("a write and a read run concurrently on each side (ping-pong from two tasks)")
    func concurrentReadAndWrite() async throws {
        try await withTimeout {
            let pair = try await handshakePair()
            // The server echoes from one task while the client writes from another and reads from a third.
            async let echo: Void = {
                while let chunk = try await pair.server.read() { try await pair.server.write(chunk) }
                try await pair.server.closeWrite()
            }()
            let rounds = 200
            async let written: Void = {
                for round in 0..<rounds { try await pair.client.write([UInt8](repeating: UInt8(round), count: 1000)) }
                try await pair.client.closeWrite()
            }()
            let echoed = try await pair.client.readAll(limit: 4 << 20)
            try await written
            try await echo
            #expect(echoed.count == rounds * 1000)
            #expect(echoed.last == UInt8(rounds - 1))
            await pair.client.close()
            await pair.server.close()
        }
    }

    // MARK: Early muxer negotiation through ALPN

    struct ALPNCase: Sendable, CustomTestStringConvertible {
        let client: [String]
        let server: [String]
        let expected: String?
        var testDescription: String { "client \(client), server \(server) → \(expected ?? "libp2p")" }
    }

    @Test("ALPN agrees a muxer (server's preference) or falls back to libp2p (nil)", arguments: [
        ALPNCase(client: [yamux, mplex], server: [yamux, mplex], expected: yamux),
        ALPNCase(client: [yamux, mplex], server: [mplex, yamux], expected: mplex),
        ALPNCase(client: [mplex], server: [yamux, mplex], expected: mplex),
        ALPNCase(client: [yamux], server: [mplex], expected: nil),
        ALPNCase(client: [], server: [yamux], expected: nil),
        ALPNCase(client: [yamux], server: [], expected: nil),
    ])
    func earlyMuxer(alpn: ALPNCase) async throws {
        let pair = try await withTimeout {
            try await handshakePair(clientMuxers: alpn.client, serverMuxers: alpn.server)
        }
        #expect(pair.client.earlyMuxer == alpn.expected)
        #expect(pair.server.earlyMuxer == alpn.expected)
        await pair.client.close()
        await pair.server.close()
    }
}

/// Writes `bytes` (in uneven chunks) then closes the write side, while reading
/// everything the peer sends until it closes; returns what was read.
func exchange(_ channel: any SecureChannel, send bytes: [UInt8]) async throws -> [UInt8] {
    async let received = channel.readAll(limit: 4 << 20)
    var offset = 0
    var chunk = 1
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        try await channel.write(ByteBuffer(bytes: bytes[offset..<end]))
        offset = end
        chunk = chunk * 3 + 17  // 1 byte up to well past one 64 KiB write
    }
    try await channel.closeWrite()
    return try await received
}

