import LibP2PCore
import LibP2PRegistry

/// libp2p's `/plaintext/2.0.0`: each side sends its peer ID and public key, reads
/// the other's and checks that the two agree; after that the stream carries the
/// upgraded connection's bytes as they are. Nothing is encrypted and nothing proves
/// that the sender holds the private key: for tests only, as in go-libp2p and
/// py-libp2p. The interop matrix never offers it.
///
/// Both sides write their exchange before reading (the spec's order), so the
/// handshake costs one one-way trip.
public struct PlaintextSecurity: SecurityProtocol {
    public static let protocolID = "/plaintext/2.0.0"
    /// The largest exchange accepted: go-libp2p and py-libp2p cap it at 64 KiB too.
    public static let maxExchangeSize = 1 << 16

    public var name: String { "plaintext" }
    public var protocolID: String { Self.protocolID }

    public init() {}

    public func secureOutbound(
        _ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> any SecureChannel {
        try await handshake(stream, identity: identity, expecting: expecting)
    }

    public func secureInbound(
        _ stream: any ByteStream, identity: PrivateKey, muxers: [String]
    ) async throws -> any SecureChannel {
        try await handshake(stream, identity: identity, expecting: nil)
    }

    /// Plaintext has no room for early muxer negotiation: `earlyMuxer` is nil and
    /// the upgrader negotiates the muxer over multistream afterwards.
    private func handshake(_ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?) async throws -> PlaintextChannel {
        do {
            let ours = PlaintextExchange(publicKey: identity.publicKey).encoded()
            try await stream.write(UVarint.encode(ours.count) + ours)
            var reader = ByteStreamReader(stream)
            let frame = try await reader.readLengthPrefixed(limit: Self.maxExchangeSize, what: "plaintext exchange")
            let theirs = try PlaintextExchange(decoding: Array(buffer: frame))
            if let expecting, theirs.peerID != expecting {
                throw SecurityError.peerIDMismatch(expected: expecting, actual: theirs.peerID)
            }
            return PlaintextChannel(
                stream: reader.remainingStream(), localPeer: identity.peerID,
                remotePeer: theirs.peerID, remotePublicKey: theirs.publicKey)
        } catch {
            // The peer must not wait on a stream whose handshake we gave up.
            await stream.close()
            throw error
        }
    }
}
