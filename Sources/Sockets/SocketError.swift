/// Why a TCP dial, listen or connection failed; the description names the address.
public enum TCPError: Error, Equatable, CustomStringConvertible {
    /// The multiaddr is not `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>]`.
    case unsupportedAddress(String)
    /// Nothing listens at the address (ECONNREFUSED).
    case connectionRefused(String)
    /// The connection was not established within the connect timeout.
    case connectTimeout(String, seconds: Double)
    /// A DNS name did not resolve to any address of the requested family.
    case cannotResolve(String, reason: String)
    /// Any other failure to connect.
    case dialFailed(String, reason: String)
    /// Binding a listening socket failed (address in use, not available…).
    case listenFailed(String, reason: String)
    /// An established connection failed (reset by the peer, broken pipe…).
    case connectionFailed(String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedAddress(let address):
            return "TCP cannot use \(address): expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>"
        case .connectionRefused(let address):
            return "cannot dial \(address): connection refused"
        case .connectTimeout(let address, let seconds):
            return "cannot dial \(address): no connection after \(seconds) s"
        case .cannotResolve(let address, let reason):
            return "cannot dial \(address): cannot resolve the host name: \(reason)"
        case .dialFailed(let address, let reason):
            return "cannot dial \(address): \(reason)"
        case .listenFailed(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        case .connectionFailed(let address, let reason):
            return "TCP connection with \(address) failed: \(reason)"
        }
    }
}
