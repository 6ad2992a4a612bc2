import LibP2PCore

/// What a WebSocket multiaddr says: the TCP part to connect to or bind, whether
/// TLS runs below the WebSocket (wss), and the TLS server name to send.
///
/// Accepted: `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/ws`,
/// `…/tcp/<port>/tls/ws`, `…/tcp/<port>/tls/sni/<name>/ws`, `…/tcp/<port>/wss`,
/// each optionally followed by `/p2p/<id>` when dialing.
struct WebSocketAddress: Equatable {
    /// `/ip4|ip6|dns*/<host>/tcp/<port>`.
    var tcp: Multiaddr
    var secure: Bool
    var serverName: String?

    init?(_ address: Multiaddr, allowPeerID: Bool) {
        var components = address.components
        if allowPeerID, case .p2p? = components.last { components.removeLast() }
        guard components.count >= 3, case .tcp = components[1] else { return nil }
        tcp = Multiaddr(components: Array(components[0..<2]))
        switch Array(components[2...]) {
        case [.ws]: (secure, serverName) = (false, nil)
        case [.wss], [.tls, .ws]: (secure, serverName) = (true, nil)
        case let rest where rest.count == 3 && rest[0] == .tls && rest[2] == .ws:
            guard case .sni(let name) = rest[1] else { return nil }
            (secure, serverName) = (true, name)
        default: return nil
        }
        // A DNS name is also the TLS server name, unless /sni says otherwise.
        if secure, serverName == nil {
            switch components[0] {
            case .dns(let name), .dns4(let name), .dns6(let name): serverName = name
            default: break
            }
        }
    }

    /// The suffix a connection's addresses get: `/ws` or `/tls/ws` (the modern
    /// spelling of wss).
    static func suffix(secure: Bool) -> [Multiaddr.Component] {
        secure ? [.tls, .ws] : [.ws]
    }

    /// The `Host` header: `host:port`, IPv6 literals in brackets.
    var hostHeader: String {
        guard let (host, port) = tcp.tcpHostPort else { return "localhost" }
        if case .ip6 = tcp.components[0] { return "[\(host)]:\(port)" }
        return "\(host):\(port)"
    }
}
