#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LibP2PCore
import LibP2PRegistry
import SwiftProtobuf

/// The libp2p data carried in Noise handshake messages 2 and 3: the sender's identity
/// key, its signature binding that identity to the Noise static key, and the muxers it
/// offers for early negotiation.
enum HandshakePayload {
    /// What the identity key signs, followed by the 32-byte X25519 static public key.
    static let signaturePrefix = Array("noise-libp2p-static-key:".utf8)

    /// Our payload: `identity_key`, `identity_sig`, and `extensions.stream_muxers` when
    /// we have muxers to offer.
    static func make(identity: PrivateKey, noiseStaticKey: [UInt8], muxers: [String]) throws -> [UInt8] {
        var payload = PBNoiseHandshakePayload()
        payload.identityKey = Data(identity.publicKey.protobufEncoded)
        payload.identitySig = Data(identity.sign(signaturePrefix + noiseStaticKey))
        if !muxers.isEmpty {
            var extensions = PBNoiseExtensions()
            extensions.streamMuxers = muxers
            payload.extensions = extensions
        }
        return try payload.serializedBytes()
    }

    /// Parses the peer's payload and checks its identity key signed the Noise static
    /// key the handshake authenticated. Only then are its extensions trusted.
    static func verify(_ bytes: [UInt8], remoteNoiseStaticKey: [UInt8]) throws -> RemoteIdentity {
        let payload: PBNoiseHandshakePayload
        do {
            payload = try PBNoiseHandshakePayload(serializedBytes: bytes)
        } catch {
            throw NoiseError.malformedPayload("\(error)")
        }
        guard payload.hasIdentityKey, !payload.identityKey.isEmpty else { throw NoiseError.missingIdentityKey }
        guard payload.hasIdentitySig, !payload.identitySig.isEmpty else { throw NoiseError.missingIdentitySignature }
        let publicKey: PublicKey
        do {
            publicKey = try PublicKey(protobuf: [UInt8](payload.identityKey))
        } catch {
            throw NoiseError.invalidIdentityKey("\(error)")
        }
        guard publicKey.verify(signature: [UInt8](payload.identitySig), for: signaturePrefix + remoteNoiseStaticKey) else {
            throw SecurityError.invalidSignature
        }
        return RemoteIdentity(publicKey: publicKey, muxers: payload.extensions.streamMuxers)
    }
}

/// The peer as its verified handshake payload describes it.
struct RemoteIdentity: Sendable {
    let publicKey: PublicKey
    /// The muxers it offered, in its preference order; empty when it sent none.
    let muxers: [String]

    var peerID: PeerID { publicKey.peerID }
}

/// Early muxer negotiation in the Noise handshake (libp2p specs,
/// connections/inlined-muxer-negotiation.md): the muxer is the first of the
/// initiator's list that the responder also lists; with no overlap the handshake
/// fails. When either side lists nothing there is nothing to agree on, and the
/// upgrader negotiates the muxer with multistream-select instead.
enum EarlyMuxerNegotiation {
    static func select(local: [String], remote: [String], role: NoiseRole) throws -> String? {
        guard !local.isEmpty, !remote.isEmpty else { return nil }
        let (initiator, responder) = role == .initiator ? (local, remote) : (remote, local)
        guard let muxer = initiator.first(where: responder.contains) else {
            throw SecurityError.noCommonMuxer(local: local, remote: remote)
        }
        return muxer
    }
}
