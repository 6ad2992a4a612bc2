import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing
@testable import LibP2PQUIC

/// Bad input and bad peers: each a clear error, and the listener keeps serving.
@Suite struct QUICRefusalTests {
    /// The listener still completes a handshake and carries a stream.
    static func expectStillServing(_ pair: QUICPair) async throws {
        let fresh = try await pair.transport.dial(
            pair.listener.localMultiaddr.appending(.p2p(pair.listenerKey.peerID)), identity: PrivateKey.generateEd25519())
        let accepted = try #require(try await pair.listener.accept())
        try await accepted.waitForHandshake()
        let outbound = try await fresh.openStream()
        try await outbound.write(Array("still serving".utf8))
        try await outbound.closeWrite()
        let inbound = try #require(try await accepted.acceptStream())
        #expect(try await inbound.readAll() == Array("still serving".utf8))
        await fresh.close()
        await accepted.close()
    }

    @Test("dialing the listener under another peer ID fails, naming both IDs")
    func wrongPeerID() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            let impostor = PrivateKey.generateEd25519().peerID
            let wrong = pair.listener.localMultiaddr.appending(.p2p(impostor))
            let error = await #expect(throws: SecurityError.self) {
                _ = try await pair.transport.dial(wrong, identity: pair.dialerKey)
            }
            #expect(error == .peerIDMismatch(expected: impostor, actual: pair.listenerKey.peerID))
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains(impostor.description) && text.contains(pair.listenerKey.peerID.description))
            // The listener saw a handshake fail, not a connection.
            let refused = try #require(try await pair.listener.accept())
            await #expect(throws: (any Error).self) { try await refused.waitForHandshake() }
            try await Self.expectStillServing(pair)
            await pair.close()
        }
    }

    @Test("garbage, truncated and too-short Initials are dropped; connections carry on")
    func garbage() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            let raw = try await RawUDPPeer.bind()
            var junk: [[UInt8]] = [[0x00], [0xFF, 0xFF], Array(repeating: 0x40, count: 30)]
            junk += (0..<20).map { n in (0..<(1 + n * 70)).map { _ in UInt8.random(in: 0...255) } }
            junk.append(HandmadePacket.longHeader(version: 1, size: 40))  // a truncated Initial
            junk.append(HandmadePacket.longHeader(version: 1, size: 1000, filler: 0xAB))  // under 1,200 bytes
            junk.append(HandmadePacket.longHeader(version: 1, size: 1200, filler: 0xAB))  // full size, undecryptable
            for datagram in junk { try await raw.send(datagram, to: pair.listener.localAddress) }
            // The existing connection still works...
            let outbound = try await pair.client.openStream()
            try await outbound.write(Array("after the garbage".utf8))
            try await outbound.closeWrite()
            let inbound = try #require(try await pair.server.acceptStream())
            #expect(try await inbound.readAll() == Array("after the garbage".utf8))
            // ...nothing came back to the garbage's sender but at most a handshake attempt...
            // ...and new peers still get in.
            try await Self.expectStillServing(pair)
            await raw.close()
            await pair.close()
        }
    }

    @Test("an unsupported version gets a Version Negotiation packet listing QUIC v1")
    func versionNegotiation() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            let raw = try await RawUDPPeer.bind()
            try await raw.send(HandmadePacket.longHeader(version: 0x1A2A_3A4A, size: 1200), to: pair.listener.localAddress)
            let reply = try #require(try await raw.received.next())
            let bytes = Array(reply.readableBytesView)
            #expect(bytes.count >= 7 && bytes[0] & 0x80 != 0)
            #expect(Array(bytes[1..<5]) == [0, 0, 0, 0], "version 0 marks Version Negotiation")
            // The IDs are swapped: our source ID comes back as the destination.
            #expect(bytes[5] == 8 && Array(bytes[6..<14]) == [UInt8](repeating: 0x5C, count: 8))
            let versions = stride(from: 23, to: bytes.count - 3, by: 4).map { Array(bytes[$0..<$0 + 4]) }
            #expect(versions.contains([0, 0, 0, 1]))
            try await Self.expectStillServing(pair)
            await raw.close()
            await pair.close()
        }
    }

    @Test("a client offering another ALPN is refused; the listener keeps serving")
    func wrongALPN() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            var limits = QUICEngine.Limits()
            limits.alpn = "h3"
            let other = QUICTransport(limits: limits)
            let address = pair.listener.localMultiaddr.appending(.p2p(pair.listenerKey.peerID))
            let error = await #expect(throws: QUICError.self) { _ = try await other.dial(address, identity: pair.dialerKey) }
            // TLS alert 120 (no_application_protocol) as QUIC error 0x100 + 120.
            #expect("\(error.map { "\($0)" } ?? "")".contains("0x178"))
            // The listener refused it in the ClientHello: accept() never sees it.
            try await Self.expectStillServing(pair)
            await pair.close()
        }
    }

    @Test("opening streams beyond the peer's limit waits until the peer closes one")
    func streamFlood() async throws {
        var limits = QUICEngine.Limits()
        limits.maxStreams = 8
        try await QUICStreamTests.withPair(QUICTransport(limits: limits)) { pair in
            var open: [any MuxedStream] = []
            for index in 0..<8 {
                let stream = try await pair.client.openStream()
                try await stream.write([UInt8(index)])
                try await stream.closeWrite()
                open.append(stream)
            }
            #expect(pair.client.openableStreams == 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Parks until the listener's side closes a stream and raises the limit.
                    let ninth = try await pair.client.openStream()
                    try await ninth.write([9])
                    try await ninth.closeWrite()
                }
                let first = try #require(try await pair.server.acceptStream())
                #expect(try await first.readAll().count == 1)
                try await first.closeWrite()
                await first.close()
                try await group.waitForAll()
            }
            // The eight others and the ninth all arrive.
            for _ in 0..<8 {
                let stream = try #require(try await pair.server.acceptStream())
                #expect(try await stream.readAll().count == 1)
                await stream.close()
            }
            for stream in open { await stream.close() }
        }
    }

    @Test("a peer that vanishes without a word is dropped at the idle timeout")
    func idlePeer() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make(transport: QUICTransport(idleTimeout: .seconds(1)))
            // The listener goes silent: no CONNECTION_CLOSE, no acknowledgements, no ICMP.
            try await pair.listener.channel.pipeline.removeHandler(name: QUICSocket.handlerName).get()
            await #expect(throws: QUICError.idleTimeout) { try await pair.client.run() }
            await #expect(throws: (any Error).self) { _ = try await pair.client.openStream().write([1]) }
            await pair.close()
        }
    }
}
