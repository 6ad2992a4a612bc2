import LibP2PConformance
import LibP2PCore
import Testing

/// Vectors from libp2p/specs `peer-ids/peer-ids.md` (keys in protobuf hex, the
/// example peer IDs) and RFC 8032 §7.1 (Ed25519 signatures).
enum SpecVectors {
    /// `PrivateKey` protobuf: Type=Ed25519, Data = 32-byte seed ‖ 32-byte public key.
    static let ed25519PrivateProtobuf =
        "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    static let ed25519PublicProtobuf = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    /// base58btc of the identity multihash (00 24 ‖ public key protobuf); rust-libp2p
    /// and others derive the same ID from this key.
    static let ed25519PeerID = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"

    /// The spec's three text-form examples: the CID and the Qm form are one peer.
    static let cidExample = "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"
    static let qmExample = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"
    static let qmExampleMultihash = "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9"
    static let edExample = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
    static let edExampleKey = "2ffa35a99d3a3cfbb17bb7c1dc5561b18a8dcca4df38dc613ea859c37eb1336b"

    /// The spec's secp256k1 public key protobuf (37 bytes, inlined) and the ID it gives.
    static let secp256k1PublicProtobuf = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99"
    static let secp256k1PeerID = "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY"
    /// The ECDSA public key protobuf is 95 bytes, so its ID is a sha2-256 multihash.
    static let ecdsaPeerID = "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk"

    /// RFC 8032 §7.1, TEST 1 (empty message).
    static let rfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let rfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    static let rfcSignature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
}

@Suite("Keys")
struct KeyTests {
    @Test func ed25519SpecKeyPairMatches() throws {
        let privateProtobuf = [UInt8](hex: SpecVectors.ed25519PrivateProtobuf)
        #expect(privateProtobuf.prefix(4) == [0x08, 0x01, 0x12, 0x40])
        let seed = Array(privateProtobuf[4..<36])
        let publicRaw = Array(privateProtobuf[36..<68])

        let key = try PrivateKey(ed25519Seed: seed)
        #expect(key.publicKey.type == .ed25519)
        #expect(key.publicKey.data == publicRaw)
        #expect(key.publicKey.protobufEncoded == [UInt8](hex: SpecVectors.ed25519PublicProtobuf))
        #expect(key.peerID.description == SpecVectors.ed25519PeerID)
        #expect(key.peerID.multihash == [0x00, 0x24] + [UInt8](hex: SpecVectors.ed25519PublicProtobuf))
    }

    @Test func ed25519SpecPublicKeyParses() throws {
        let key = try PublicKey(protobuf: [UInt8](hex: SpecVectors.ed25519PublicProtobuf))
        #expect(key.type == .ed25519)
        #expect(key.data == [UInt8](hex: "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"))
        #expect(key.protobufEncoded == [UInt8](hex: SpecVectors.ed25519PublicProtobuf))
        #expect(key.peerID.description == SpecVectors.ed25519PeerID)
        #expect(key == (try PublicKey(type: .ed25519, data: key.data)))
        #expect(key.description.contains(SpecVectors.ed25519PeerID))
    }

    @Test func rfc8032SignatureVector() throws {
        let key = try PrivateKey(ed25519Seed: [UInt8](hex: SpecVectors.rfcSeed))
        #expect(key.publicKey.data == [UInt8](hex: SpecVectors.rfcPublic))
        let signature = key.sign([])
        #expect(signature == [UInt8](hex: SpecVectors.rfcSignature))
        #expect(key.publicKey.verify(signature: signature, for: []))
    }

    @Test func signAndVerify() throws {
        let key = PrivateKey.generateEd25519()
        let message = Array("noise-libp2p-static-key:".utf8) + [UInt8](repeating: 0xAB, count: 32)
        let signature = key.sign(message)
        #expect(signature.count == 64)
        #expect(key.publicKey.verify(signature: signature, for: message))

        for bit in [0, 7, 100, 511] {
            var flipped = signature
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!key.publicKey.verify(signature: flipped, for: message), "signature bit \(bit) flipped")
        }
        var changed = message
        changed[3] ^= 0x01
        #expect(!key.publicKey.verify(signature: signature, for: changed))
        #expect(!PrivateKey.generateEd25519().publicKey.verify(signature: signature, for: message))
        #expect(!key.publicKey.verify(signature: Array(signature.dropLast()), for: message))
        #expect(!key.publicKey.verify(signature: [], for: message))
    }

    @Test func seedDerivationIsDeterministic() throws {
        let seed = [UInt8](repeating: 0x42, count: 32)
        let a = try PrivateKey(ed25519Seed: seed)
        let b = try PrivateKey(ed25519Seed: seed)
        #expect(a.publicKey == b.publicKey)
        #expect(a.peerID == b.peerID)
        #expect(a.sign([1, 2, 3]) == b.sign([1, 2, 3]))
        var other = seed
        other[31] ^= 1
        #expect(try PrivateKey(ed25519Seed: other).publicKey != a.publicKey)
    }

    @Test func generatedKeysDiffer() {
        #expect(PrivateKey.generateEd25519().peerID != PrivateKey.generateEd25519().peerID)
    }

    @Test("seed of the wrong length is refused", arguments: [0, 31, 33, 64])
    func badSeed(length: Int) {
        #expect(throws: KeyError.invalidKey(.ed25519, "seed must be 32 bytes, got \(length)")) {
            try PrivateKey(ed25519Seed: [UInt8](repeating: 1, count: length))
        }
    }

    @Test("Ed25519 key of the wrong length is refused", arguments: [0, 31, 33])
    func badEd25519Length(length: Int) {
        #expect(throws: KeyError.invalidKey(.ed25519, "expected 32 bytes, got \(length)")) {
            try PublicKey(type: .ed25519, data: [UInt8](repeating: 1, count: length))
        }
    }

    @Test("malformed PublicKey protobufs are refused", arguments: [
        "",  // nothing
        "0801",  // Type only
        "1220" + String(repeating: "00", count: 32),  // Data only
        "08011220" + String(repeating: "00", count: 31),  // Data shorter than its length
        "ffffffff",  // not a protobuf
        "0801121f" + String(repeating: "00", count: 31),  // Ed25519 with 31 bytes
        "08071220" + String(repeating: "00", count: 32),  // key type 7
    ])
    func malformedProtobuf(hex: String) {
        #expect(throws: KeyError.self) { try PublicKey(protobuf: [UInt8](hex: hex)) }
    }

    @Test func keyErrorsDescribeThemselves() {
        #expect(KeyError.invalidKey(.ed25519, "too short").description == "invalid Ed25519 key: too short")
        #expect(KeyError.unknownKeyType(9).description == "unknown key type 9")
        #expect(KeyType.allCases.map(\.rawValue) == [0, 1, 2, 3])
    }
}

@Suite("PeerID")
struct PeerIDTests {
    @Test func specCIDAndBase58FormsAreTheSamePeer() throws {
        let fromCID = try PeerID(SpecVectors.cidExample)
        let fromBase58 = try PeerID(SpecVectors.qmExample)
        #expect(fromCID == fromBase58)
        #expect(fromBase58.multihash == [UInt8](hex: SpecVectors.qmExampleMultihash))
        #expect(fromCID.description == SpecVectors.qmExample)
        #expect(fromBase58.cidString == SpecVectors.cidExample)
        #expect(fromBase58.inlinedPublicKey == nil)
    }

    @Test func specEd25519ExampleInlinesItsKey() throws {
        let id = try PeerID(SpecVectors.edExample)
        #expect(id.description == SpecVectors.edExample)
        let key = try #require(id.inlinedPublicKey)
        #expect(key.type == .ed25519)
        #expect(key.data == [UInt8](hex: SpecVectors.edExampleKey))
        #expect(id.matches(key))
        #expect(!id.matches(PrivateKey.generateEd25519().publicKey))
        #expect(PeerID(publicKey: key) == id)
    }

    @Test("base58 text of other key types parses", arguments: [
        SpecVectors.secp256k1PeerID, SpecVectors.ecdsaPeerID,
    ])
    func otherKeyTypesParse(text: String) throws {
        let id = try PeerID(text)
        #expect(id.description == text)
        #expect(try PeerID(id.cidString) == id)
    }

    @Test func secp256k1IDIsTheIdentityMultihashOfItsKey() throws {
        let id = try PeerID(SpecVectors.secp256k1PeerID)
        #expect(id.multihash == [0x00, 0x25] + [UInt8](hex: SpecVectors.secp256k1PublicProtobuf))
    }

    @Test func textAndCIDRoundTrip() throws {
        for _ in 0..<8 {
            let id = PrivateKey.generateEd25519().peerID
            #expect(id.description.hasPrefix("12D3KooW"))
            #expect(id.cidString.hasPrefix("bafz"))
            #expect(try PeerID(id.description) == id)
            #expect(try PeerID(id.cidString) == id)
            #expect(try PeerID(multihash: id.multihash) == id)
        }
    }

    @Test("malformed peer IDs are refused", arguments: [
        "",
        "1",
        "12D3KooW",  // truncated identity multihash
        String(SpecVectors.qmExample.dropLast()),  // truncated sha2-256 multihash
        SpecVectors.qmExample + "1",  // one digit too many: the length no longer matches
        "0OIl",  // not base58
        "Qm!!",
        "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq ",
        "b",  // empty CID
        "b!!!!",  // not base32
        "bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe",  // dag-pb codec, not libp2p-key
        "bciqj37z3c7luz5gtrjinrnryh2jndamqiokklzz2ojw4zs6sdp3pbokcz",  // a CIDv0-style payload
    ])
    func malformedText(text: String) {
        #expect(throws: PeerIDError.self) { try PeerID(text) }
    }

    @Test("malformed multihashes are refused", arguments: [
        "",
        "00",
        "1220" + String(repeating: "00", count: 31),  // sha2-256 digest too short
        "1221" + String(repeating: "00", count: 33),  // sha2-256 digest too long
        "1320" + String(repeating: "00", count: 32),  // sha2-512 code, unsupported
        "002b" + String(repeating: "00", count: 43),  // identity digest over 42 bytes
        "0005" + "0102",  // length says 5, 2 bytes follow
        "000201020304",  // length says 2, 4 bytes follow
        "0080",  // truncated length varint
    ])
    func malformedMultihash(hex: String) {
        #expect(throws: PeerIDError.self) { try PeerID(multihash: [UInt8](hex: hex)) }
    }

    @Test func errorNamesTheProblem() {
        #expect(PeerIDError.malformed("x").description == "malformed peer ID: x")
    }
}

@Suite("Base58")
struct Base58Tests {
    static let vectors: [([UInt8], String)] = [
        ([], ""),
        ([0], "1"),
        ([0, 0, 0, 1], "1112"),
        (Array("\0\0abc".utf8), "11ZiCa"),
        (Array("abc".utf8), "ZiCa"),
        (Array("hello world".utf8), "StV1DL6CwTryKyV"),
        ([0xFF, 0xFF, 0xFF, 0xFF], "7YXq9G"),
        ([UInt8](hex: "00eb15231dfceb60925886b67d065299925915aeb172c06647"), "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
    ]

    @Test("encodes", arguments: vectors)
    func encodes(bytes: [UInt8], text: String) {
        #expect(Base58.encode(bytes) == text)
    }

    @Test("decodes", arguments: vectors)
    func decodes(bytes: [UInt8], text: String) {
        #expect(Base58.decode(text) == bytes)
    }

    @Test func roundTripsRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        for length in 0..<40 {
            let zeros = Int.random(in: 0...3, using: &rng)
            let bytes = [UInt8](repeating: 0, count: min(zeros, length))
                + (0..<max(0, length - zeros)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes, "\(bytes.hex)")
        }
    }

    @Test("characters outside the alphabet are refused", arguments: ["0", "O", "I", "l", "1+1", "abc ", "é", "Zi\u{0}Ca"])
    func refusesBadCharacters(text: String) {
        #expect(Base58.decode(text) == nil)
    }
}
