import LibP2PCore
import NIOCore

/// A security plugin: authenticates the remote peer and encrypts a raw stream
/// (`noise`, `tls`).
///
/// A security plugin is a stateless value: one registry hands it to any number of
/// hosts, and both roles may run on the same value at once. Every plugin keeps
/// these rules, which `SecurityConformance` checks in both roles:
///
/// - ``secureOutbound(_:identity:expecting:muxers:)`` is the dialer and
///   ``secureInbound(_:identity:muxers:)`` the listener. Both return a
///   ``SecureChannel`` whose `remotePeer` and `remotePublicKey` are the
///   authenticated peer's and whose `localPeer` is ours.
/// - When `expecting` is set, any other remote peer ID is refused with
///   ``SecurityError/peerIDMismatch(expected:actual:)``.
/// - On any failure, close the stream before throwing: the peer must not wait
///   forever for the next handshake message. A truncated handshake is an error on
///   both sides, never a hang.
/// - `muxers` are our muxer protocol IDs in preference order. Where the protocol
///   can negotiate the muxer in the handshake (Noise extensions, TLS ALPN), both
///   sides end with the same ``SecureChannel/earlyMuxer``, one both listed;
///   otherwise `nil` on both sides, and the ``Upgrader`` negotiates the muxer with
///   multistream.
/// - Bytes read ahead during the handshake belong to the channel: hand them on
///   (`ByteStreamReader.remainingStream()`).
/// - The channel keeps the `ByteStream` rules: a message larger than one frame is
///   split and reassembled, reading and writing may happen at once, `closeWrite()`
///   half-closes.
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
