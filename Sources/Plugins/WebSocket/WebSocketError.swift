/// Why a WebSocket dial, upgrade or connection failed; each says what was wrong.
public enum WebSocketError: Error, Equatable, CustomStringConvertible {
    /// The multiaddr is not a ws or wss address this transport handles.
    case unsupportedAddress(String, transport: String)
    /// The server did not answer the upgrade with a valid `101` (status, or a
    /// wrong `Sec-WebSocket-Accept`).
    case upgradeRefused(String, reason: String)
    /// The upgrade did not finish within the deadline.
    case upgradeTimeout(String, seconds: Double)
    /// The TLS layer of wss failed (handshake or records).
    case tls(String)
    /// The peer broke RFC 6455 (unmasked client frame, masked server frame, bad
    /// fragment sequence, oversized frame or message).
    case protocolViolation(String)
    /// The peer closed with a code other than 1000 (normal) or 1005 (none given).
    case closedAbnormally(code: Int, reason: String)

    public var description: String {
        switch self {
        case .unsupportedAddress(let address, let transport):
            let shape = transport == "wss"
                ? "/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/tls/ws (or /wss)" : "/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/ws"
            return "\(transport) cannot use \(address): expected \(shape)"
        case .upgradeRefused(let address, let reason):
            return "WebSocket upgrade with \(address) refused: \(reason)"
        case .upgradeTimeout(let address, let seconds):
            return "WebSocket upgrade with \(address) not done after \(seconds) s"
        case .tls(let reason):
            return "wss TLS failed: \(reason)"
        case .protocolViolation(let what):
            return "WebSocket protocol violation: \(what)"
        case .closedAbnormally(let code, let reason):
            return "WebSocket closed by the peer with code \(code)\(reason.isEmpty ? "" : " (\(reason))")"
        }
    }
}
