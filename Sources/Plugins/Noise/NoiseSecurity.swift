import LibP2PCore
import LibP2PRegistry

/// libp2p's Noise security protocol (`/noise`): the `Noise_XX_25519_ChaChaPoly_SHA256`
/// handshake with an empty prologue, each side proving its libp2p identity by signing
/// its Noise static key, then ChaCha20-Poly1305 transport frames. Muxers are offered
/// in the handshake payloads for early negotiation. See README.md in this folder.
public struct NoiseSecurity: SecurityProtocol {
    public init() {}

    public var name: String { "noise" }
    public var protocolID: String { "/noise" }

    public func secureOutbound(
        _ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> any SecureChannel {
        try await closingOnFailure(stream) {
            try await NoiseHandshake(identity: identity, muxers: muxers).runInitiator(over: stream, expecting: expecting)
        }
    }

    public func secureInbound(
        _ stream: any ByteStream, identity: PrivateKey, muxers: [String]
    ) async throws -> any SecureChannel {
        try await closingOnFailure(stream) {
            try await NoiseHandshake(identity: identity, muxers: muxers).runResponder(over: stream)
        }
    }

    /// The spec says a failed handshake terminates the connection at once; closing
    /// here also unblocks a peer waiting for our next message.
    private func closingOnFailure(
        _ stream: any ByteStream, _ body: () async throws -> NoiseSecureChannel
    ) async throws -> NoiseSecureChannel {
        do {
            return try await body()
        } catch {
            await stream.close()
            throw error
        }
    }
}
