import LibP2PConformance
import Testing

@testable import LibP2PNoise

/// An official Noise test vector: fixed static and ephemeral keys on both sides, and
/// the exact bytes of every message. Messages 1-3 are the handshake; later ones are
/// transport messages, alternating direction, responder first
/// (the alternation goes on from message 3, the initiator's).
struct NoiseVector: Sendable, CustomTestStringConvertible {
    let source: String
    let prologue: String
    let initiatorStatic: String
    let initiatorEphemeral: String
    let responderStatic: String
    let responderEphemeral: String
    let handshakeHash: String?
    let messages: [(payload: String, ciphertext: String)]

    var testDescription: String { source }

    /// Noise_XX_25519_ChaChaPoly_SHA256 from the cacophony suite (haskell-cryptography/
    /// cacophony `vectors/cacophony.txt`, as shipped in mcginty/snow `tests/vectors`).
    static let cacophony = NoiseVector(
        source: "cacophony",
        prologue: "4a6f686e2047616c74",
        initiatorStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
        initiatorEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
        responderStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
        responderEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
        handshakeHash: "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
        messages: [
            ("4c756477696720766f6e204d69736573",
             "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"),
            ("4d757272617920526f746862617264",
             "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"),
            ("462e20412e20486179656b",
             "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"),
            ("4361726c204d656e676572",
             "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"),
            ("4a65616e2d426170746973746520536179",
             "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"),
            ("457567656e2042f6686d20766f6e2042617765726b",
             "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"),
        ])

    /// libp2p-shaped: empty prologue, empty first payload (which must still be
    /// MixHashed), then transport messages, one of them empty. Generated with PyPI
    /// `noiseprotocol` 0.3.1, the Noise library py-libp2p runs on, with these fixed keys.
    static let libp2pShaped = NoiseVector(
        source: "noiseprotocol, libp2p-shaped",
        prologue: "",
        initiatorStatic: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        initiatorEphemeral: "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        responderStatic: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
        responderEphemeral: "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60",
        handshakeHash: "bd86ed906b3a2831aac37423249f60cfd8ea8dc109e783376aff34e098ef0cf5",
        messages: [
            ("", "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254"),
            ("6c6962703270207061796c6f6164206f662074686520726573706f6e646572",
             "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d484663414af878d3e46a2f58911a816d6e8346d4ea17a6f2a0bb4ef4ed56c133cff4560a34e36ea82109f26cf2e5a5caf992bed00ada67b5569d255844453144b7332ce9d90f6683f2d88da5f88b3a8b85a8f66afa03d4d25935449c4b3862d81d5"),
            ("6c6962703270207061796c6f6164206f662074686520696e69746961746f72",
             "87f864c11ba449f46a0a4f4e2eacbb7b0457784f4fca1937f572c93603e9c4d9790527298737c6845a376ec2e3412d69647f66a699e4475c11470e513df6878f7a714f45f82b6cc67448e14b563ff89e8d576bd8cec8104f98971cfa914b85"),
            ("2f6d756c746973747265616d2f312e302e300a",
             "785dbd429ba67e8896da32cd313793e01e723acd42a3d55cf0f6db78a38554fc364dfb"),
            ("2f79616d75782f312e302e300a", "f332fd2abc014e2d214024dc975263978e4534a7159828696e0bbcd49f"),
            ("", "0a1e288fbd92d320625c63d100ce99cf"),
        ])

    /// Noise_XX_25519_ChaChaPoly_SHA256 from mcginty/snow `tests/vectors/snow.txt`.
    static let snow = NoiseVector(
        source: "snow",
        prologue: "5468657265206973206e6f20726967687420616e642077726f6e672e2054686572652773206f6e6c792066756e20616e6420626f72696e672e",
        initiatorStatic: "7dec208517a3b81a2861d7a71266d5d6dc944c5a8816634a86fe63198a0148ee",
        initiatorEphemeral: "a32daf21e93c0131495ce1d903181fde81cc46937daaeb990bae7c992709421e",
        responderStatic: "4d0aed5098e3b4ef20357e9f686ce66204c792b358da2e475017d6c485304881",
        responderEphemeral: "4eece0f195d026db035ff987597c429d3ad3bcc2944df37d649528951b2a27c5",
        handshakeHash: nil,
        messages: [
            ("d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34",
             "f9fa868ba97ab8a2686deccfaad5a484ee10a5bb85e3d1dce015a84797f92818d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34"),
            ("d8190a92f7dc0c93dbea9118ba8055751fb7c6590c416ffbd419964132b99a85",
             "8c4e6fdb7d09d501a86f7eca5c234522751706ed409182c05cdf5f827d4dae47b81c6c5f43b025692c24391eefee725c17d8cb0fbe3e4abb8aedf42c4fd2592d4ea48ac08989d6ae8b4adae08b2c34087c808c7aa55a63c02b0fab9e930612336bd43eaea04d3c670a0a146691aa9cc9d357872320dc735dbc48580cffb553db"),
            ("77891b19dcb92ef7c055b672c4a5aa7fdf1c84146b8b303459022729473ce254",
             "933ca6b5ed60df3df66121f0ab49a09e49efa45c613a86a3cecbf4c535cef2f83f72b42837b18e3572f2fdc2b74c331e2368a545cef54bdca081678ab0e9dd5348122459e0c034c851984d88ce610963d43cde6cfe73a67fbd5a63e8bfca96d0"),
            ("d7efdf988072881941db045a42882433817555128fbf5663e56081712ec7d212",
             "54ef0ff0629e1aaa7685a2806ab111cba76b52331f2642276736f415868eacb69ab2577f3bda0cbf72f879685f6ed25f"),
            ("dd7bf01a588bafb52c6cfba952e5d8fe35cc2b3f92b4730ae2474615157345ce",
             "356be70f110306d5c699bb834bb9d58d909e325924dfbec972e406e6f294dc63e1daebefe8a62a334facc8048ab4ad66"),
        ])
}

@Suite("Noise framework test vectors")
struct NoiseVectorTests {
    @Test("XX handshake and transport messages match byte for byte", arguments: [NoiseVector.cacophony, .snow, .libp2pShaped])
    func matchesVector(_ vector: NoiseVector) throws {
        var initiator = HandshakeState(
            role: .initiator,
            localStatic: try X25519KeyPair(privateKey: [UInt8](hex: vector.initiatorStatic)),
            localEphemeral: try X25519KeyPair(privateKey: [UInt8](hex: vector.initiatorEphemeral)),
            prologue: [UInt8](hex: vector.prologue))
        var responder = HandshakeState(
            role: .responder,
            localStatic: try X25519KeyPair(privateKey: [UInt8](hex: vector.responderStatic)),
            localEphemeral: try X25519KeyPair(privateKey: [UInt8](hex: vector.responderEphemeral)),
            prologue: [UInt8](hex: vector.prologue))

        for (index, message) in vector.messages.prefix(3).enumerated() {
            let payload = [UInt8](hex: message.payload)
            let expected = [UInt8](hex: message.ciphertext)
            if index.isMultiple(of: 2) {
                #expect(try initiator.writeMessage(payload: payload) == expected, "handshake message \(index + 1)")
                #expect(try responder.readMessage(expected) == payload)
            } else {
                #expect(try responder.writeMessage(payload: payload) == expected, "handshake message \(index + 1)")
                #expect(try initiator.readMessage(expected) == payload)
            }
        }
        #expect(initiator.isComplete && responder.isComplete)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        if let hash = vector.handshakeHash {
            #expect(initiator.handshakeHash == [UInt8](hex: hash))
        }
        #expect(initiator.remoteStatic == responder.localStatic.publicKey)
        #expect(responder.remoteStatic == initiator.localStatic.publicKey)

        var (initiatorSend, initiatorReceive) = try initiator.split()
        var (responderSend, responderReceive) = try responder.split()
        for (index, message) in vector.messages.enumerated().dropFirst(3) {
            let payload = [UInt8](hex: message.payload)
            let expected = [UInt8](hex: message.ciphertext)
            if index.isMultiple(of: 2) {
                #expect(try initiatorSend.encrypt(ad: [], plaintext: payload) == expected, "transport message \(index + 1)")
                #expect(try responderReceive.decrypt(ad: [], ciphertext: expected, what: "vector") == payload)
            } else {
                #expect(try responderSend.encrypt(ad: [], plaintext: payload) == expected, "transport message \(index + 1)")
                #expect(try initiatorReceive.decrypt(ad: [], ciphertext: expected, what: "vector") == payload)
            }
        }
    }
}

@Suite("Noise state machines")
struct NoiseStateTests {
    @Test("a libp2p-style handshake with an empty first payload agrees on keys")
    func emptyFirstPayload() throws {
        var initiator = HandshakeState(role: .initiator, localStatic: .generate())
        var responder = HandshakeState(role: .responder, localStatic: .generate())
        let first = try initiator.writeMessage(payload: [])
        // Message 1 is only the ephemeral key: no tag, the empty payload is hashed.
        #expect(first.count == 32)
        #expect(try responder.readMessage(first) == [])
        let second = try responder.writeMessage(payload: [1, 2, 3])
        #expect(second.count == 32 + 48 + 3 + 16)
        #expect(try initiator.readMessage(second) == [1, 2, 3])
        let third = try initiator.writeMessage(payload: [4])
        #expect(third.count == 48 + 1 + 16)
        #expect(try responder.readMessage(third) == [4])
        #expect(initiator.handshakeHash == responder.handshakeHash)

        var (send, _) = try initiator.split()
        var (_, receive) = try responder.split()
        let ciphertext = try send.encrypt(ad: [], plaintext: [9, 9])
        #expect(try receive.decrypt(ad: [], ciphertext: ciphertext, what: "test") == [9, 9])
    }

    @Test("messages out of turn are refused", arguments: [NoiseRole.initiator, .responder])
    func outOfTurn(_ role: NoiseRole) throws {
        var state = HandshakeState(role: role, localStatic: .generate())
        if role == .initiator {
            #expect(throws: NoiseError.self) { try state.readMessage([UInt8](repeating: 0, count: 32)) }
        } else {
            #expect(throws: NoiseError.self) { try state.writeMessage(payload: []) }
        }
        #expect(throws: NoiseError.self) { try state.split() }
    }

    @Test("short handshake messages are refused with their minimum length")
    func shortMessages() throws {
        var responder = HandshakeState(role: .responder, localStatic: .generate())
        #expect(throws: NoiseError.messageTooShort("handshake message 1", length: 31, minimum: 32)) {
            try responder.readMessage([UInt8](repeating: 7, count: 31))
        }
        var initiator = HandshakeState(role: .initiator, localStatic: .generate())
        _ = try initiator.writeMessage(payload: [])
        #expect(throws: NoiseError.messageTooShort("handshake message 2", length: 95, minimum: 96)) {
            try initiator.readMessage([UInt8](repeating: 7, count: 95))
        }
        #expect(HandshakeState.minimumLength(ofMessage: 2) == 64)
    }

    @Test("a low-order ephemeral key from the peer is refused")
    func lowOrderKey() throws {
        var initiator = HandshakeState(role: .initiator, localStatic: .generate())
        _ = try initiator.writeMessage(payload: [])
        // The all-zero point has order 1: the DH result would be all zeros.
        let message = [UInt8](repeating: 0, count: 96)
        #expect(throws: NoiseError.invalidDHPublicKey) { try initiator.readMessage(message) }
    }

    @Test("a tampered handshake message fails to decrypt")
    func tamperedHandshake() throws {
        var initiator = HandshakeState(role: .initiator, localStatic: .generate())
        var responder = HandshakeState(role: .responder, localStatic: .generate())
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        var second = try responder.writeMessage(payload: [1])
        second[40] ^= 0x80  // inside the encrypted static key
        #expect(throws: NoiseError.decryptionFailed("static key in handshake message 2")) {
            try initiator.readMessage(second)
        }
    }

    @Test("the nonce 2^64-1 is never used, in either direction")
    func nonceExhaustion() throws {
        let key = [UInt8](repeating: 0x42, count: 32)
        var sender = CipherState(key: key, nonce: .max - 1)
        var receiver = CipherState(key: key, nonce: .max - 1)
        let last = try sender.encrypt(ad: [], plaintext: [1])
        #expect(try receiver.decrypt(ad: [], ciphertext: last, what: "test") == [1])
        #expect(throws: NoiseError.nonceExhausted) { try sender.encrypt(ad: [], plaintext: [2]) }
        #expect(throws: NoiseError.nonceExhausted) { try receiver.decrypt(ad: [], ciphertext: last, what: "test") }
    }

    @Test("a failed decryption does not advance the nonce")
    func failedDecryptKeepsNonce() throws {
        let key = [UInt8](repeating: 0x17, count: 32)
        var sender = CipherState(key: key)
        var receiver = CipherState(key: key)
        let good = try sender.encrypt(ad: [], plaintext: [5, 6, 7])
        var bad = good
        bad[0] ^= 1
        #expect(throws: NoiseError.decryptionFailed("frame")) { try receiver.decrypt(ad: [], ciphertext: bad, what: "frame") }
        #expect(receiver.nonce == 0)
        #expect(try receiver.decrypt(ad: [], ciphertext: good, what: "frame") == [5, 6, 7])
        #expect(receiver.nonce == 1)
    }
}
