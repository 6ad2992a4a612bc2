import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

@testable import LibP2PTCP
@testable import LibP2PSockets

@Suite struct TCPAddressTests {
    static let peer = PrivateKey.generateEd25519().peerID

    @Test(arguments: [
        "/ip4/127.0.0.1/tcp/4001",
        "/ip4/0.0.0.0/tcp/0",
        "/ip6/::1/tcp/4001",
        "/dns/example.com/tcp/443",
        "/dns4/localhost/tcp/1",
        "/dns6/localhost/tcp/65535",
        "/ip4/10.0.0.1/tcp/4001/p2p/\(peer)",
        "/dns4/redis/tcp/6379/p2p/\(peer)",
    ])
    func canDialTCPAddresses(_ text: String) throws {
        #expect(TCPTransport().canDial(try Multiaddr(text)))
    }

    @Test(arguments: [
        "/ip4/127.0.0.1/udp/4001",
        "/ip4/127.0.0.1",
        "/tcp/4001",
        "/p2p/\(peer)",
        "/ip4/127.0.0.1/tcp/1/tcp/2",
        "/ip4/127.0.0.1/tcp/1/p2p/\(peer)/p2p/\(peer)",
        "/ip4/127.0.0.1/udp/1/p2p/\(peer)",
    ])
    func cannotDialOtherAddresses(_ text: String) async throws {
        let address = try Multiaddr(text)
        #expect(!TCPTransport().canDial(address))
        let error = await #expect(throws: TCPError.self) { try await TCPTransport().dial(address) }
        #expect(error == .unsupportedAddress(text))
        #expect(error?.description.contains(text) == true)
    }

    @Test func listenRejectsPeerIDAndOtherShapes() async throws {
        for text in ["/ip4/127.0.0.1/tcp/0/p2p/\(Self.peer)", "/ip4/127.0.0.1/udp/0"] {
            await #expect(throws: TCPError.unsupportedAddress(text)) {
                try await TCPTransport().listen(try Multiaddr(text))
            }
        }
    }

    @Test func endpointOfIPAddressesKeepsHostAndPort() throws {
        let v4 = try #require(TCPEndpoint(try Multiaddr("/ip4/192.0.2.7/tcp/4001"), allowPeerID: false))
        #expect(v4 == .ip(try SocketAddress(ipAddress: "192.0.2.7", port: 4001)))
        let v6 = try #require(TCPEndpoint(try Multiaddr("/ip6/2001:db8::1/tcp/80/p2p/\(Self.peer)"), allowPeerID: true))
        #expect(v6 == .ip(try SocketAddress(ipAddress: "2001:db8::1", port: 80)))
        #expect(TCPEndpoint(try Multiaddr("/dns6/host/tcp/5"), allowPeerID: false) == .dns(name: "host", port: 5, family: .ipv6))
    }

    @Test(arguments: [
        ("127.0.0.1", 4001, "/ip4/127.0.0.1/tcp/4001"),
        ("::1", 9, "/ip6/::1/tcp/9"),
        ("::ffff:10.1.2.3", 65535, "/ip4/10.1.2.3/tcp/65535"),
        ("2001:db8::ff00:42:8329", 1, "/ip6/2001:db8::ff00:42:8329/tcp/1"),
    ])
    func socketAddressToMultiaddr(_ ip: String, _ port: Int, _ expected: String) throws {
        let address = try SocketAddress(ipAddress: ip, port: port)
        #expect(Multiaddr(tcpSocketAddress: address)?.description == expected)
    }

    @Test func resolvesDNS4Localhost() async throws {
        let endpoint = try #require(TCPEndpoint(try Multiaddr("/dns4/localhost/tcp/7"), allowPeerID: false))
        let addresses = try await withTimeout { try await endpoint.socketAddresses(for: try Multiaddr("/dns4/localhost/tcp/7")) }
        #expect(!addresses.isEmpty)
        for address in addresses {
            #expect(address.protocol == .inet)
            #expect(address.port == 7)
        }
    }
}
