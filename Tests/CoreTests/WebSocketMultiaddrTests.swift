import LibP2PCore
import Testing

/// The WebSocket components (`/ws`, `/wss`, `/tls`, `/sni/<name>`): text and binary
/// forms against the multicodec table (ws 0x01dd, wss 0x01de, tls 0x01c0, sni 0x01c1,
/// each code a uvarint), as go-multiaddr writes them.
@Suite struct WebSocketMultiaddrTests {
    static let vectors: [(String, String)] = [
        ("/ip4/127.0.0.1/tcp/4001/ws", "047f000001060fa1dd03"),
        ("/ip4/127.0.0.1/tcp/4001/wss", "047f000001060fa1de03"),
        ("/ip4/127.0.0.1/tcp/443/tls/ws", "047f0000010601bbc003dd03"),
        ("/ip4/127.0.0.1/tcp/443/tls/sni/example.com/ws", "047f0000010601bbc003c1030b6578616d706c652e636f6ddd03"),
        ("/dns4/example.com/tcp/443/wss", "360b6578616d706c652e636f6d0601bbde03"),
        ("/ip6/::1/tcp/1/ws", "2900000000000000000000000000000001060001dd03"),
    ]

    @Test("text and binary map to each other", arguments: vectors)
    func roundTrip(text: String, hex: String) throws {
        let address = try Multiaddr(text)
        #expect(address.description == text)
        #expect(hexString(address.bytes) == hex)
        #expect(try Multiaddr(bytes: address.bytes) == address)
    }

    @Test func componentsAndPeerID() throws {
        let address = try Multiaddr("/ip4/1.2.3.4/tcp/5/tls/sni/a.example/ws")
        #expect(address.components == [.ip4([1, 2, 3, 4]), .tcp(5), .tls, .sni("a.example"), .ws])
        #expect(address.tcpHostPort?.port == 5)
    }

    @Test("bad WebSocket components", arguments: [
        ("/ip4/1.2.3.4/tcp/1/sni", MultiaddrError.invalid("protocol /sni has no value")),
        ("/ip4/1.2.3.4/tcp/1/tls/sni//ws", MultiaddrError.invalid("bad SNI name ")),
    ])
    func bad(text: String, expected: MultiaddrError) {
        #expect(throws: expected) { try Multiaddr(text) }
    }

    private func hexString(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
