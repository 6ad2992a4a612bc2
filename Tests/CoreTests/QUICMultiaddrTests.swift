import LibP2PCore
import Testing

/// `/quic-v1` (multicodec 0x01cc, no value) in both forms, as go-multiaddr writes it.
@Suite struct QUICMultiaddrTests {
    @Test("text and binary forms round-trip", arguments: [
        "/ip4/127.0.0.1/udp/4001/quic-v1",
        "/ip6/::1/udp/0/quic-v1",
        "/ip4/10.0.0.1/udp/65535/quic-v1/p2p/12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv",
    ])
    func roundTrip(text: String) throws {
        let address = try Multiaddr(text)
        #expect(address.description == text)
        #expect(try Multiaddr(bytes: address.bytes) == address)
    }

    @Test("the binary form is udp's port then the bare 0x01cc varint")
    func binary() throws {
        let address = try Multiaddr("/ip4/1.2.3.4/udp/443/quic-v1")
        #expect(address.components == [.ip4([1, 2, 3, 4]), .udp(443), .quicV1])
        #expect(address.bytes == [0x04, 1, 2, 3, 4, 0x91, 0x02, 0x01, 0xBB, 0xCC, 0x03])
    }

    @Test("quic-v1 takes no value; the older /quic is not supported")
    func refusals() {
        #expect(throws: MultiaddrError.unknownProtocol("1")) { try Multiaddr("/ip4/1.2.3.4/udp/1/quic-v1/1") }
        #expect(throws: MultiaddrError.unknownProtocol("quic")) { try Multiaddr("/ip4/1.2.3.4/udp/1/quic") }
        #expect(throws: MultiaddrError.invalid("protocol /quic-v1 takes no value")) {
            try Multiaddr.Component(name: "quic-v1", value: "x")
        }
    }
}
