import LibP2PConformance
import LibP2PCore
import Testing

@Suite("Multiaddr")
struct MultiaddrTests {
    static let qmPeer = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"
    static let qmMultihash = "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9"
    static let edPeer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
    static let edMultihash = "0024080112202ffa35a99d3a3cfbb17bb7c1dc5561b18a8dcca4df38dc613ea859c37eb1336b"

    /// Text and binary forms that must map to each other exactly (codes from the
    /// multiaddr protocol table: ip4 0x04, tcp 0x06, udp 0x0111, dns 0x35, dns4 0x36,
    /// dns6 0x37, ip6 0x29, p2p 0x01a5).
    static let vectors: [(String, String)] = [
        ("/ip4/127.0.0.1/tcp/4001", "047f000001060fa1"),
        ("/ip4/127.0.0.1/udp/1234", "047f000001910204d2"),
        ("/ip4/0.0.0.0/tcp/0", "0400000000060000"),
        ("/ip4/255.255.255.255/udp/65535", "04ffffffff9102ffff"),
        ("/ip6/::1/tcp/1", "2900000000000000000000000000000001060001"),
        ("/ip6/::/tcp/4001", "2900000000000000000000000000000000060fa1"),
        ("/ip6/2001:db8::1/udp/443", "2920010db8000000000000000000000001910201bb"),
        ("/dns/example.com", "350b6578616d706c652e636f6d"),
        ("/dns4/example.com/tcp/443", "360b6578616d706c652e636f6d0601bb"),
        ("/dns6/example.com/tcp/80", "370b6578616d706c652e636f6d060050"),
        ("/p2p/\(qmPeer)", "a50322" + qmMultihash),
        ("/ip4/1.2.3.4/tcp/80/p2p/\(edPeer)", "0401020304060050a50326" + edMultihash),
    ]

    @Test("text to binary matches the vector", arguments: vectors)
    func textToBinary(text: String, hex: String) throws {
        #expect(try Multiaddr(text).bytes == [UInt8](hex: hex))
    }

    @Test("binary to text matches the vector", arguments: vectors)
    func binaryToText(text: String, hex: String) throws {
        let addr = try Multiaddr(bytes: [UInt8](hex: hex))
        #expect(addr.description == text)
        #expect(addr == (try Multiaddr(text)))
    }

    @Test("text round trips", arguments: vectors.map(\.0) + [
        "/ip6/fe80::1:2:3:4/tcp/9",
        "/ip6/::ffff:1.2.3.4/tcp/9",
        "/dns/localhost/udp/53",
        "/ip4/10.0.0.1/tcp/1/p2p/\(qmPeer)",
    ])
    func textRoundTrip(text: String) throws {
        let addr = try Multiaddr(text)
        #expect(addr.description == text)
        #expect(try Multiaddr(bytes: addr.bytes) == addr)
    }

    @Test("non-canonical text normalises", arguments: [
        ("/ip6/0:0:0:0:0:0:0:1/tcp/1", "/ip6/::1/tcp/1"),
        ("/ip6/2001:0db8:0000:0000:0000:0000:0000:0001", "/ip6/2001:db8::1"),
        ("/ip6/2001:DB8::A", "/ip6/2001:db8::a"),
        ("/ip4/1.2.3.4/tcp/5/", "/ip4/1.2.3.4/tcp/5"),
        ("/ipfs/\(qmPeer)", "/p2p/\(qmPeer)"),
        ("/ip4/1.2.3.4/tcp/1/ipfs/\(edPeer)", "/ip4/1.2.3.4/tcp/1/p2p/\(edPeer)"),
        ("/p2p/bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", "/p2p/\(qmPeer)"),
    ])
    func normalises(input: String, canonical: String) throws {
        let addr = try Multiaddr(input)
        #expect(addr.description == canonical)
        #expect(addr == (try Multiaddr(canonical)))
    }

    @Test func ipfsAliasEncodesLikeP2P() throws {
        #expect(try Multiaddr("/ipfs/\(Self.qmPeer)").bytes == (try Multiaddr("/p2p/\(Self.qmPeer)").bytes))
    }

    @Test("bad text is refused with a clear error", arguments: [
        ("", MultiaddrError.invalid("must start with '/': ")),
        ("ip4/1.2.3.4", .invalid("must start with '/': ip4/1.2.3.4")),
        ("/", .invalid("empty multiaddr")),
        ("/ip4", .invalid("protocol /ip4 has no value")),
        ("/ip4/", .invalid("protocol /ip4 has no value")),
        ("/ip4/1.2.3.4/tcp", .invalid("protocol /tcp has no value")),
        ("/ip4/256.1.1.1", .invalid("bad IPv4 address 256.1.1.1")),
        ("/ip4/1.2.3", .invalid("bad IPv4 address 1.2.3")),
        ("/ip4/::1", .invalid("bad IPv4 address ::1")),
        ("/ip4//tcp/1", .invalid("bad IPv4 address ")),
        ("/ip6/1.2.3.4", .invalid("bad IPv6 address 1.2.3.4")),
        ("/ip6/:::1", .invalid("bad IPv6 address :::1")),
        ("/ip6/fe80::1%eth0", .invalid("bad IPv6 address fe80::1%eth0")),
        ("/tcp/65536", .invalid("bad port 65536")),
        ("/tcp/-1", .invalid("bad port -1")),
        ("/udp/http", .invalid("bad port http")),
        ("/tcp/", .invalid("protocol /tcp has no value")),
        ("/dns4//tcp/1", .invalid("bad DNS name ")),
        ("/foo/bar", .unknownProtocol("foo")),
        ("//ip4/1.2.3.4", .unknownProtocol("")),
        ("/ip4/1.2.3.4/udp/1/quic", .unknownProtocol("quic")),
        ("/ip4/1.2.3.4/tcp/1/webrtc", .unknownProtocol("webrtc")),
    ])
    func badText(text: String, expected: MultiaddrError) {
        #expect(throws: expected) { try Multiaddr(text) }
    }

    @Test func badPeerIDInTextIsAPeerIDError() {
        #expect(throws: PeerIDError.self) { try Multiaddr("/ip4/1.2.3.4/tcp/1/p2p/0OIl") }
        #expect(throws: PeerIDError.self) { try Multiaddr("/p2p/12D3KooW") }
    }

    @Test("bad binary is refused with a clear error", arguments: [
        ("", MultiaddrError.invalid("empty multiaddr")),
        ("047f0000", .invalid("truncated component")),
        ("060f", .invalid("truncated component")),
        ("047f00000106", .invalid("truncated component")),
        ("29000000", .invalid("truncated component")),
        ("a5", .invalid("bad protocol code")),
        ("8000", .invalid("bad protocol code")),
        ("9901", .unknownProtocol("code 153")),
        ("360b6578", .invalid("truncated component")),
        ("36", .invalid("bad component length")),
        ("3600", .invalid("bad DNS name")),
        ("3602fffe", .invalid("bad DNS name")),
        ("3603612f62", .invalid("bad DNS name")),  // "a/b"
        ("35818001", .invalid("bad component length")),  // 16385-byte name
        ("a50322" + String(qmMultihash.dropLast(2)), .invalid("truncated component")),
    ])
    func badBinary(hex: String, expected: MultiaddrError) {
        #expect(throws: expected) { try Multiaddr(bytes: [UInt8](hex: hex)) }
    }

    @Test func badPeerIDInBinaryIsAPeerIDError() {
        // A multihash with an unsupported code (0x13) inside /p2p.
        #expect(throws: PeerIDError.self) { try Multiaddr(bytes: [UInt8](hex: "a503031301ff")) }
    }

    @Test func errorsNameTheProblem() {
        #expect(MultiaddrError.invalid("bad port x").description == "invalid multiaddr: bad port x")
        #expect(MultiaddrError.unknownProtocol("ws").description == "unsupported multiaddr protocol: ws")
    }

    @Test func peerIDAndRemovingIt() throws {
        let id = try PeerID(Self.qmPeer)
        let addr = try Multiaddr("/ip4/1.2.3.4/tcp/4001/p2p/\(Self.qmPeer)")
        #expect(addr.peerID == id)
        #expect(addr.removingPeerID() == (try Multiaddr("/ip4/1.2.3.4/tcp/4001")))
        #expect(addr.removingPeerID().peerID == nil)
        #expect(try Multiaddr("/ip4/1.2.3.4/tcp/4001").peerID == nil)
        #expect(try Multiaddr("/ip4/1.2.3.4/tcp/4001").appending(.p2p(id)) == addr)
        #expect(try Multiaddr("/dns4/a.example/tcp/1").removingPeerID().description == "/dns4/a.example/tcp/1")
    }

    @Test("tcpHostPort", arguments: [
        ("/ip4/1.2.3.4/tcp/4001", "1.2.3.4", 4001),
        ("/ip4/1.2.3.4/tcp/4001/p2p/\(qmPeer)", "1.2.3.4", 4001),
        ("/ip6/::1/tcp/65535", "::1", 65535),
        ("/dns/example.com/tcp/1", "example.com", 1),
        ("/dns4/example.com/tcp/443", "example.com", 443),
        ("/dns6/example.com/tcp/0", "example.com", 0),
    ] as [(String, String, Int)])
    func tcpHostPort(text: String, host: String, port: Int) throws {
        let hostPort = try #require(try Multiaddr(text).tcpHostPort)
        #expect(hostPort.host == host)
        #expect(hostPort.port == port)
    }

    @Test("not a TCP address", arguments: [
        "/ip4/1.2.3.4/udp/4001", "/ip4/1.2.3.4", "/tcp/1", "/p2p/\(qmPeer)/tcp/1", "/ip4/1.2.3.4/udp/1/tcp/2",
    ])
    func noTCPHostPort(text: String) throws {
        #expect(try Multiaddr(text).tcpHostPort == nil)
    }

    @Test func componentsBuiltByHandWithWrongSizesDoNotCrash() {
        // The enum cases are public; a wrong byte count must not make inet_ntop
        // read past the array.
        #expect(Multiaddr(components: [.ip4([1, 2])]).description == "/ip4/<invalid ip4: 2 bytes>")
        #expect(Multiaddr(components: [.ip6([1, 2, 3, 4])]).description == "/ip6/<invalid ip6: 4 bytes>")
        #expect(Multiaddr(components: [.ip4([1, 2, 3, 4])]).description == "/ip4/1.2.3.4")
    }
}
