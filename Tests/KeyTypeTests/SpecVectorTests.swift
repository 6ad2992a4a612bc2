import COpenSSL
import LibP2PConformance
import LibP2PCore
import Testing

/// The test vectors of libp2p/specs `peer-ids/peer-ids.md` (keys) and
/// `tls/tls.md` (host keys and signatures carried in certificates, with their peer IDs).
@Suite struct SpecVectorTests {
    // peer-ids.md, "Test vectors": PublicKey and PrivateKey protobufs.
    static let ecdsaPublic = [UInt8](hex: "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62")
    static let ecdsaPrivate = [UInt8](hex: "08031279307702010104203E5B1FE9712E6C314942A750BD67485DE3C1EFE85B1BFB520AE8F9AE3DFA4A4CA00A06082A8648CE3D030107A14403420004DE3D300FA36AE0E8F5D530899D83ABAB44ABF3161F162A4BC901D8E6ECDA020E8B6D5F8DA30525E71D6851510C098E5C47C646A597FB4DCEC034E9F77C409E62")
    static let ed25519Public = [UInt8](hex: "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e")
    static let ed25519Private = [UInt8](hex: "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e")
    static let secp256k1Public = [UInt8](hex: "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99")
    static let secp256k1Private = [UInt8](hex: "0802122053DADF1D5A164D6B4ACDB15E24AA4C5B1D3461BDBD42ABEDB0A4404D56CED8FB")
    static let rsaPublic = [UInt8](hex: SpecRSAVector.publicKey)
    static let rsaPrivate = [UInt8](hex: SpecRSAVector.privateKey)

    /// The `Data` field of a `PublicKey`/`PrivateKey` protobuf (field 2, one-byte tag).
    static func dataField(_ protobuf: [UInt8]) -> [UInt8] {
        // 08 tt 12 <uvarint length> <data>
        guard case .value(let length, let prefix) = UVarint.decode(protobuf.dropFirst(3)) else { return [] }
        let start = 3 + prefix
        return Array(protobuf[start..<start + Int(length)])
    }

    @Test("every public key vector parses, keeps its type and re-encodes to the same bytes",
          arguments: [
            (ecdsaPublic, KeyType.ecdsa), (ed25519Public, .ed25519), (secp256k1Public, .secp256k1), (rsaPublic, .rsa),
          ])
    func publicKeyRoundTrip(vector: [UInt8], type: KeyType) throws {
        let key = try PublicKey(protobuf: vector)
        #expect(key.type == type)
        #expect(key.protobufEncoded == vector)
    }

    /// The spec gives no peer IDs for these four keys; the expected strings were
    /// computed independently (Python hashlib + a separate base58btc) to cross-check
    /// PeerID's identity-vs-sha2-256 choice and encoding.
    @Test("peer IDs of the peer-ids.md keys: identity multihash up to 42 bytes, sha2-256 beyond",
          arguments: [
            (ecdsaPublic, "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk"),
            (ed25519Public, "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"),
            (secp256k1Public, "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY"),
            (rsaPublic, "QmaeANgBs1DTSxWSrPPtobgQuxW8XTfsS4ydbK4rCHzqxG"),
          ])
    func peerIDs(vector: [UInt8], expected: String) throws {
        let id = try PublicKey(protobuf: vector).peerID
        #expect(id.description == expected)
        #expect(try PeerID(expected) == id)
        #expect(try PeerID(id.cidString) == id)
        #expect(id.multihash.first == (vector.count <= 42 ? 0x00 : 0x12))
    }

    @Test("the ECDSA private key vector yields the public key vector, and its signatures verify")
    func ecdsaPrivateKey() throws {
        let key = try OpenSSLTestKey.fromDER(Self.dataField(Self.ecdsaPrivate), openSSLType: EVP_PKEY_EC, as: .ecdsa)
        #expect(try key.publicKey().protobufEncoded == Self.ecdsaPublic)
        try expectSignaturesVerify(key, against: try PublicKey(protobuf: Self.ecdsaPublic))
    }

    @Test("the secp256k1 private key vector yields the public key vector, and its signatures verify")
    func secp256k1PrivateKey() throws {
        let key = try OpenSSLTestKey.secp256k1(scalar: Self.dataField(Self.secp256k1Private))
        #expect(try key.publicKey().protobufEncoded == Self.secp256k1Public)
        try expectSignaturesVerify(key, against: try PublicKey(protobuf: Self.secp256k1Public))
    }

    @Test("the RSA private key vector yields the public key vector, and its signatures verify")
    func rsaPrivateKey() throws {
        let key = try OpenSSLTestKey.fromDER(Self.dataField(Self.rsaPrivate), openSSLType: EVP_PKEY_RSA, as: .rsa)
        #expect(try key.publicKey().protobufEncoded == Self.rsaPublic)
        try expectSignaturesVerify(key, against: try PublicKey(protobuf: Self.rsaPublic))
    }

    @Test("the Ed25519 private key vector (seed ‖ public) yields the public key vector")
    func ed25519PrivateKey() throws {
        let data = Self.dataField(Self.ed25519Private)
        let key = try PrivateKey(ed25519Seed: Array(data.prefix(32)))
        #expect(key.publicKey.protobufEncoded == Self.ed25519Public)
        #expect(Array(data.suffix(32)) == key.publicKey.data)
        let message = Array("libp2p".utf8)
        #expect(key.publicKey.verify(signature: key.sign(message), for: message))
    }

    func expectSignaturesVerify(_ signer: OpenSSLTestKey, against publicKey: PublicKey) throws {
        let message = Array("a message signed by the spec's private key".utf8)
        let signature = try signer.sign(message)
        #expect(publicKey.verify(signature: signature, for: message))
        #expect(!publicKey.verify(signature: signature, for: message + [0]))
    }

    // tls.md, "Test vectors": the host key and the SignedKey signature carried by
    // each certificate, the certificate's SubjectPublicKeyInfo they sign (the same
    // P-256 key in all four), and the peer ID the spec says they authenticate.
    static let certificateKey = [UInt8](hex: "3059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569e")
    static let handshakeMessage = Array("libp2p-tls-handshake:".utf8) + certificateKey

    struct SignedHostKey: Sendable, CustomTestStringConvertible {
        let name: String
        let hostKey: [UInt8]
        let signature: [UInt8]
        let peerID: String
        var testDescription: String { name }
    }

    static let tlsVectors = [
        SignedHostKey(
            name: "Ed25519",
            hostKey: [UInt8](hex: "08011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b9"),
            signature: [UInt8](hex: "d90d2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a8207792e42849cccc6cd8136c6e4bde92a58c5e08cfd4206eb5fe0bf909"),
            peerID: "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv"),
        SignedHostKey(
            name: "ECDSA",
            hostKey: [UInt8](hex: "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f2"),
            signature: [UInt8](hex: "30450220064ea8124774caf8f50e57f436aa62350ce652418c019df5d98a3ac666c9386a022100aa59d704a931b5f72fb9222cb6cc51f954d04a4e2e5450f8805fe8918f71eaae"),
            peerID: "QmfXbAwNjJLXfesgztEHe8HwgVDCMMpZ9Eax1HYq6hn9uE"),
        SignedHostKey(
            name: "secp256k1",
            hostKey: [UInt8](hex: "080212210206dc6968726765b820f050263ececf7f71e4955892776c0970542efd689d2382"),
            signature: [UInt8](hex: "30440220145e15a991961f0d08cd15425bb95ec93f6ffa03c5a385eedc34ecf464c7a8ab022026b3109b8a3f40ef833169777eb2aa337cfb6282f188de0666d1bcec2a4690dd"),
            peerID: "16Uiu2HAkutTMoTzDw1tCvSRtu6YoixJwS46S1ZFxW8hSx9fWHiPs"),
    ]

    @Test("tls.md vectors: the host key's signature over the certificate key verifies and gives the spec's peer ID",
          arguments: tlsVectors)
    func tlsSignedKeys(vector: SignedHostKey) throws {
        let key = try PublicKey(protobuf: vector.hostKey)
        #expect(key.peerID.description == vector.peerID)
        #expect(key.verify(signature: vector.signature, for: Self.handshakeMessage))
        #expect(!key.verify(signature: vector.signature, for: Self.handshakeMessage.dropLast() + [0]))
    }

    @Test("tls.md invalid vector: the ECDSA host key did not make this signature")
    func tlsInvalidSignature() throws {
        let key = try PublicKey(protobuf: Self.tlsVectors[1].hostKey)
        let foreignSignature = [UInt8](hex: "3045022100bb6e03577b7cc7a3cd1558df0da2b117dfdcc0399bc2504ebe7de6f65cade72802206de96e2a5be9b6202adba24ee0362e490641ac45c240db71fe955f2c5cf8df6e")
        #expect(!key.verify(signature: foreignSignature, for: Self.handshakeMessage))
    }
}
