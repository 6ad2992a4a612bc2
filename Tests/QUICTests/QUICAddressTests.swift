import LibP2PCore
import LibP2PRegistry
import Testing
@testable import LibP2PQUIC

/// Which multiaddrs quic-v1 takes, and the forms it gives.
@Suite struct QUICAddressTests {
    let transport = QUICTransport()
    static let peer = "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv"

    @Test("dialable: ip4 or ip6, a UDP port, quic-v1, optionally the peer", arguments: [
        "/ip4/127.0.0.1/udp/4001/quic-v1", "/ip6/::1/udp/4001/quic-v1", "/ip4/10.0.0.1/udp/1/quic-v1/p2p/\(peer)",
    ])
    func dialable(text: String) throws {
        #expect(transport.canDial(try Multiaddr(text)))
    }

    @Test("not dialable: tcp, DNS names, quic-v1 without UDP, extra components", arguments: [
        "/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/udp/4001", "/dns4/example.com/udp/4001/quic-v1",
        "/ip4/127.0.0.1/udp/4001/quic-v1/ws", "/ip4/127.0.0.1/tcp/4001/quic-v1",
    ])
    func notDialable(text: String) throws {
        #expect(!transport.canDial(try Multiaddr(text)))
    }

    @Test("listen address forms, and a standalone transport under the contract")
    func forms() async throws {
        #expect(try transport.listenAddress(ip: "127.0.0.1").description == "/ip4/127.0.0.1/udp/0/quic-v1")
        #expect(try transport.listenAddress(ip: "::1").description == "/ip6/::1/udp/0/quic-v1")
        #expect(transport.isStandalone && transport.name == "quic-v1")
        await #expect(throws: QUICError.unsupportedAddress("/ip4/127.0.0.1/tcp/1")) {
            _ = try await transport.dial(try Multiaddr("/ip4/127.0.0.1/tcp/1"), identity: PrivateKey.generateEd25519())
        }
        // A listener on port 0 reports the real port; a listener may not name a peer.
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1"), identity: PrivateKey.generateEd25519())
        #expect(listener.localMultiaddr.description.hasPrefix("/ip4/127.0.0.1/udp/") && !listener.localMultiaddr.description.contains("/udp/0/"))
        await listener.close()
        await #expect(throws: QUICError.self) {
            _ = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1/p2p/\(Self.peer)"), identity: PrivateKey.generateEd25519())
        }
    }
}
