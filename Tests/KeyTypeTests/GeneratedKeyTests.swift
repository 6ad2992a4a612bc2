import LibP2PConformance
import LibP2PCore
import Testing

/// Keys of every OpenSSL-backed type made fresh by OpenSSL: their signatures verify
/// through `PublicKey`, and stop verifying when the message or signature changes.
@Suite struct GeneratedKeyTests {
    struct Kind: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable () throws -> OpenSSLTestKey
        /// The base58 prefix of its peer ID: identity multihash or sha2-256.
        let peerIDPrefix: String
        var testDescription: String { name }
    }

    static let kinds: [Kind] = [
        Kind(name: "secp256k1", make: { try .ec("secp256k1", as: .secp256k1) }, peerIDPrefix: "16Uiu2"),
        Kind(name: "ECDSA P-256", make: { try .ec("prime256v1", as: .ecdsa) }, peerIDPrefix: "Qm"),
        Kind(name: "ECDSA P-384", make: { try .ec("secp384r1", as: .ecdsa) }, peerIDPrefix: "Qm"),
        Kind(name: "ECDSA P-521", make: { try .ec("secp521r1", as: .ecdsa) }, peerIDPrefix: "Qm"),
        Kind(name: "RSA 2048", make: { try .rsa(bits: 2048) }, peerIDPrefix: "Qm"),
    ]

    static let message = Array("libp2p-tls-handshake: a message to sign".utf8)

    @Test("a signature made by OpenSSL verifies", arguments: kinds)
    func signatureVerifies(kind: Kind) throws {
        let signer = try kind.make()
        let publicKey = try signer.publicKey()
        #expect(publicKey.verify(signature: try signer.sign(Self.message), for: Self.message))
    }

    @Test("an altered message fails", arguments: kinds)
    func alteredMessageFails(kind: Kind) throws {
        let signer = try kind.make()
        let publicKey = try signer.publicKey()
        let signature = try signer.sign(Self.message)
        var altered = Self.message
        altered[0] ^= 0x01
        #expect(!publicKey.verify(signature: signature, for: altered))
        #expect(!publicKey.verify(signature: signature, for: []))
    }

    @Test("an altered, truncated or extended signature fails", arguments: kinds)
    func alteredSignatureFails(kind: Kind) throws {
        let signer = try kind.make()
        let publicKey = try signer.publicKey()
        let signature = try signer.sign(Self.message)
        var flipped = signature
        flipped[flipped.count - 1] ^= 0x01
        #expect(!publicKey.verify(signature: flipped, for: Self.message))
        #expect(!publicKey.verify(signature: Array(signature.dropLast()), for: Self.message))
        #expect(!publicKey.verify(signature: signature + [0], for: Self.message))
        #expect(!publicKey.verify(signature: [], for: Self.message))
    }

    @Test("another key's signature fails", arguments: kinds)
    func otherKeyFails(kind: Kind) throws {
        let signer = try kind.make()
        let other = try kind.make()
        #expect(!(try signer.publicKey()).verify(signature: try other.sign(Self.message), for: Self.message))
    }

    @Test("the key survives the PublicKey protobuf and names the expected kind of peer ID", arguments: kinds)
    func protobufAndPeerID(kind: Kind) throws {
        let publicKey = try kind.make().publicKey()
        let decoded = try PublicKey(protobuf: publicKey.protobufEncoded)
        #expect(decoded == publicKey)
        #expect(publicKey.peerID.description.hasPrefix(kind.peerIDPrefix))
        #expect(publicKey.peerID.matches(decoded))
        // Only short keys are inlined in their peer ID.
        #expect((publicKey.peerID.inlinedPublicKey == publicKey) == (publicKey.protobufEncoded.count <= 42))
    }

    @Test("an ECDSA signature does not pass as RSA or secp256k1, nor the reverse")
    func typeConfusionFails() throws {
        let ecdsa = try OpenSSLTestKey.ec("prime256v1", as: .ecdsa)
        let secp = try OpenSSLTestKey.ec("secp256k1", as: .secp256k1)
        let ecdsaSignature = try ecdsa.sign(Self.message)
        #expect(!(try secp.publicKey()).verify(signature: ecdsaSignature, for: Self.message))
        // The right bytes under the wrong type are not a key at all.
        #expect(throws: KeyError.self) { try PublicKey(type: .rsa, data: ecdsa.subjectPublicKeyInfo) }
    }
}
