import LibP2PCore

/// Turns a raw connection into a secured, multiplexed one: multistream picks the
/// security protocol, the security handshake authenticates the peer, then the muxer
/// agreed early by the handshake (Noise extensions, TLS ALPN) is used, or one is
/// negotiated by multistream over the secure channel.
public struct Upgrader: Sendable {
    public let identity: PrivateKey
    public let securities: [any SecurityProtocol]
    public let muxers: [any MuxerProtocol]

    public init(identity: PrivateKey, securities: [any SecurityProtocol], muxers: [any MuxerProtocol]) {
        self.identity = identity
        self.securities = securities
        self.muxers = muxers
    }

    public var localPeer: PeerID { identity.peerID }

    /// Lets every security plugin do its per-host setup now (see
    /// `SecurityProtocol.prepare(identity:)`).
    public func prepare() throws {
        for security in securities { try security.prepare(identity: identity) }
    }

    /// The dialer's side. On any failure or cancellation the raw connection is closed.
    public func upgradeOutbound(_ raw: any ByteStream, expecting peer: PeerID?) async throws -> UpgradedConnection {
        try await closingOnFailure(raw) {
            let (securityID, afterSecurity) = try await phase(.security) {
                try await Multistream.selectOutbound(raw, protocols: securities.map(\.protocolID))
            }
            let security = securities.first { $0.protocolID == securityID }!
            let secure = try await phase(.security) {
                try await security.secureOutbound(afterSecurity, identity: identity, expecting: peer, muxers: muxers.map(\.protocolID))
            }
            let (muxer, muxStream) = try await chooseMuxer(over: secure, role: .initiator)
            return UpgradedConnection(
                secure: secure, securityID: securityID, muxerID: muxer.protocolID,
                session: muxer.makeSession(over: muxStream, role: .initiator))
        }
    }

    /// The listener's side. On any failure or cancellation the raw connection is closed.
    public func upgradeInbound(_ raw: any ByteStream) async throws -> UpgradedConnection {
        try await closingOnFailure(raw) {
            let (securityID, afterSecurity) = try await phase(.security) {
                try await Multistream.selectInbound(raw, supported: securities.map(\.protocolID))
            }
            let security = securities.first { $0.protocolID == securityID }!
            let secure = try await phase(.security) {
                try await security.secureInbound(afterSecurity, identity: identity, muxers: muxers.map(\.protocolID))
            }
            let (muxer, muxStream) = try await chooseMuxer(over: secure, role: .responder)
            return UpgradedConnection(
                secure: secure, securityID: securityID, muxerID: muxer.protocolID,
                session: muxer.makeSession(over: muxStream, role: .responder))
        }
    }

    private func chooseMuxer(over secure: any SecureChannel, role: MuxerRole) async throws -> (any MuxerProtocol, any ByteStream) {
        if let early = secure.earlyMuxer {
            guard let muxer = muxers.first(where: { $0.protocolID == early }) else {
                throw UpgradeError(phase: .muxer, underlying: MultistreamError.noCommonProtocol([early]))
            }
            return (muxer, secure)
        }
        let (muxerID, stream) = try await phase(.muxer) {
            switch role {
            case .initiator: return try await Multistream.selectOutbound(secure, protocols: muxers.map(\.protocolID))
            case .responder: return try await Multistream.selectInbound(secure, supported: muxers.map(\.protocolID))
            }
        }
        return (muxers.first { $0.protocolID == muxerID }!, stream)
    }

    private func phase<T>(_ phase: UpgradeError.Phase, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as UpgradeError {
            throw error
        } catch {
            throw UpgradeError(phase: phase, underlying: error)
        }
    }

    private func closingOnFailure<T>(_ raw: any ByteStream, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            await raw.close()
            throw error
        }
    }
}

/// A connection after the upgrade: who the two peers are, what was negotiated,
/// and the muxed session (whose `run()` the caller must drive; `LibP2PHost` does).
/// A standalone transport (quic-v1) builds one itself, with no security or muxer ID.
public struct UpgradedConnection: Sendable {
    public let localPeer: PeerID
    public let remotePeer: PeerID
    public let remotePublicKey: PublicKey
    /// The negotiated security protocol ID (`/noise`); nil when the transport
    /// secures itself.
    public let securityID: String?
    /// The negotiated muxer protocol ID (`/yamux/1.0.0`); nil when the transport
    /// multiplexes itself.
    public let muxerID: String?
    public let session: any MuxedConnection

    public init(
        localPeer: PeerID, remotePeer: PeerID, remotePublicKey: PublicKey, securityID: String?, muxerID: String?,
        session: any MuxedConnection
    ) {
        self.localPeer = localPeer
        self.remotePeer = remotePeer
        self.remotePublicKey = remotePublicKey
        self.securityID = securityID
        self.muxerID = muxerID
        self.session = session
    }

    init(secure: any SecureChannel, securityID: String, muxerID: String, session: any MuxedConnection) {
        self.init(
            localPeer: secure.localPeer, remotePeer: secure.remotePeer, remotePublicKey: secure.remotePublicKey,
            securityID: securityID, muxerID: muxerID, session: session)
    }
}

/// A failed upgrade, naming the phase that failed.
public struct UpgradeError: Error, CustomStringConvertible {
    public enum Phase: String, Sendable {
        case security
        case muxer
    }

    public let phase: Phase
    public let underlying: any Error

    public init(phase: Phase, underlying: any Error) {
        self.phase = phase
        self.underlying = underlying
    }

    public var description: String { "\(phase.rawValue) negotiation failed: \(underlying)" }
}
