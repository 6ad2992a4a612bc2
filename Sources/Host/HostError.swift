import LibP2PCore
import LibP2PRegistry

/// What a host operation failed at. Callers that report phases (the interop
/// runner) map these to their own error type; the host knows of no caller.
public enum HostError: Error, CustomStringConvertible {
    /// No transport of this host can dial or listen on the address.
    case unsupportedAddress(Multiaddr)
    /// The transport could not connect.
    case connectFailed(Multiaddr, underlying: any Error)
    /// The security or muxer upgrade failed (the phase is in the `UpgradeError`).
    case upgradeFailed(UpgradeError)
    /// The transport could not listen.
    case listenFailed(Multiaddr, underlying: any Error)
    /// The muxer would not open a new stream.
    case streamOpenFailed(underlying: any Error)
    /// Negotiating a protocol on a new stream failed (`na`, or a broken stream).
    case negotiationFailed(protocol: String, underlying: any Error)

    public var description: String {
        switch self {
        case .unsupportedAddress(let address): return "no transport can handle \(address)"
        case .connectFailed(let address, let error): return "cannot connect to \(address): \(error)"
        case .upgradeFailed(let error): return "\(error)"
        case .listenFailed(let address, let error): return "cannot listen on \(address): \(error)"
        case .streamOpenFailed(let error): return "cannot open a stream: \(error)"
        case .negotiationFailed(let proto, let error): return "cannot negotiate \(proto): \(error)"
        }
    }
}
