import LibP2PCore
import NIOCore

/// `/ip4|ip6/<ip>/udp/<port>/quic-v1`, optionally with `/p2p/<id>`.
struct QUICAddress {
    let ip: String
    let port: Int
    let peer: PeerID?
    let isIPv6: Bool

    init?(_ address: Multiaddr, allowPeerID: Bool = true) {
        let parts = address.components
        guard parts.count == 3 || (allowPeerID && parts.count == 4) else { return nil }
        switch parts[0] {
        case .ip4: isIPv6 = false
        case .ip6: isIPv6 = true
        default: return nil
        }
        guard case .udp(let port) = parts[1], case .quicV1 = parts[2] else { return nil }
        if parts.count == 4 {
            guard case .p2p(let id) = parts[3] else { return nil }
            peer = id
        } else {
            peer = nil
        }
        ip = parts[0].value
        self.port = Int(port)
    }

    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: ip, port: port)
    }

    /// The multiaddr of a bound or peer socket address.
    static func multiaddr(_ address: SocketAddress) throws -> Multiaddr {
        guard let ip = address.ipAddress, let port = address.port else {
            throw QUICError.unsupportedAddress("\(address)")
        }
        return Multiaddr(components: [try .ip(ip), .udp(UInt16(port)), .quicV1])
    }
}
