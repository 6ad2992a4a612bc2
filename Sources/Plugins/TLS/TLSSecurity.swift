import LibP2PCore
import LibP2PTLSCertificate
import LibP2PRegistry

/// libp2p TLS (`/tls/1.0.0`, libp2p/specs `tls/tls.md`) over any `ByteStream`.
///
/// The certificate is made once per host identity and reused (see README.md); after
/// the TLS 1.3 handshake both sides check the peer's certificate with
/// `LibP2PCertificate.verify`, derive the peer ID from the host key in it, and take
/// the muxer agreed by ALPN.
public struct TLSSecurity: SecurityProtocol {
    public let name = "tls"
    public let protocolID = "/tls/1.0.0"
    private let certificates = CertificateCache()

    public init() {}

    /// Makes the host's certificate ahead of the first handshake.
    public func prepare(identity: PrivateKey) throws {
        _ = try TLSContext.shared.get()
        _ = try certificates.certificate(for: identity)
    }

    public func secureOutbound(
        _ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> any SecureChannel {
        try await secure(stream, role: .client, identity: identity, expecting: expecting, muxers: muxers)
    }

    public func secureInbound(
        _ stream: any ByteStream, identity: PrivateKey, muxers: [String]
    ) async throws -> any SecureChannel {
        try await secure(stream, role: .server, identity: identity, expecting: nil, muxers: muxers)
    }

    /// A failed handshake or a refused peer closes the stream, as the spec asks: the
    /// peer may have completed its side and would otherwise wait for data forever.
    private func secure(
        _ stream: any ByteStream, role: TLSEngine.Role, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> TLSChannel {
        do {
            return try await handshake(stream, role: role, identity: identity, expecting: expecting, muxers: muxers)
        } catch {
            await stream.close()
            throw error
        }
    }

    private func handshake(
        _ stream: any ByteStream, role: TLSEngine.Role, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> TLSChannel {
        let context = try TLSContext.shared.get()
        let engine = try TLSEngine(
            context: context, role: role, certificate: try certificates.certificate(for: identity), muxers: muxers)
        let session = TLSSession(engine: engine, transport: stream)
        try await session.handshake()

        let (remoteKey, alpn) = try session.withEngine { (try $0.authenticatePeer(), $0.selectedALPN) }
        if let expecting, expecting != remoteKey.peerID {
            throw SecurityError.peerIDMismatch(expected: expecting, actual: remoteKey.peerID)
        }
        guard let alpn else { throw TLSError.noALPN }
        return TLSChannel(
            session: session, localPeer: identity.peerID, remotePublicKey: remoteKey,
            earlyMuxer: try ALPN.earlyMuxer(selected: alpn, muxers: muxers))
    }
}
