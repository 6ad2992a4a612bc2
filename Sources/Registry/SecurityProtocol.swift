import LibP2PCore
import NIOCore

/// A security plugin: authenticates the remote peer and encrypts a raw stream
/// (`noise`, `tls`).
public protocol SecurityProtocol: Sendable {
    /// The env-var name (`security=noise`).
    var name: String { get }
    /// The multistream-select protocol ID (`/noise`).
    var protocolID: String { get }

    /// Runs the handshake as the dialer. When `expecting` is set, a remote with any
    /// other peer ID is refused. `muxers` are the muxer protocol IDs we support, in
    /// preference order, for early muxer negotiation (Noise extensions, TLS ALPN).
    func secureOutbound(
        _ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> any SecureChannel

    /// Runs the handshake as the listener.
    func secureInbound(
        _ stream: any ByteStream, identity: PrivateKey, muxers: [String]
    ) async throws -> any SecureChannel

    /// Per-host setup done once when the host is built, before any connection
    /// (TLS makes its certificate here, as go does at host construction), so that
    /// it never lands inside a measured handshake. Optional: the default does nothing.
    func prepare(identity: PrivateKey) throws
}

extension SecurityProtocol {
    public func prepare(identity: PrivateKey) throws {}
}

/// An authenticated, encrypted byte stream.
public protocol SecureChannel: ByteStream {
    var localPeer: PeerID { get }
    var remotePeer: PeerID { get }
    var remotePublicKey: PublicKey { get }
    /// The muxer protocol ID both sides agreed during the handshake, if any; the
    /// upgrader then skips the muxer's multistream round.
    var earlyMuxer: String? { get }
}

/// Errors every security plugin may report.
public enum SecurityError: Error, Equatable, CustomStringConvertible {
    case handshakeFailed(String)
    case peerIDMismatch(expected: PeerID, actual: PeerID)
    case invalidSignature
    case noCommonMuxer(local: [String], remote: [String])

    public var description: String {
        switch self {
        case .handshakeFailed(let why): return "handshake failed: \(why)"
        case .peerIDMismatch(let expected, let actual):
            return "remote peer is \(actual), expected \(expected)"
        case .invalidSignature: return "remote identity signature is invalid"
        case .noCommonMuxer(let local, let remote):
            return "no common muxer: we offer \(local), the peer offers \(remote)"
        }
    }
}
