/// The Noise spec's SymmetricState (section 5.2): the chaining key `ck`, the
/// handshake hash `h`, and the CipherState that handshake payloads and static keys are
/// encrypted with. Every byte sent or received in the handshake is mixed into `h`, so
/// both sides end up with the same transcript hash or fail to decrypt.
struct SymmetricState: Sendable {
    private(set) var chainingKey: [UInt8]
    private(set) var handshakeHash: [UInt8]
    private var cipher = CipherState()

    /// InitializeSymmetric(protocol_name).
    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= NoiseCrypto.hashLength {
            handshakeHash = name + [UInt8](repeating: 0, count: NoiseCrypto.hashLength - name.count)
        } else {
            handshakeHash = NoiseCrypto.sha256(name)
        }
        chainingKey = handshakeHash
    }

    /// MixKey(input_key_material): a new chaining key and a new cipher key.
    mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let (nextChainingKey, tempKey) = Self.hkdf2(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial)
        chainingKey = nextChainingKey
        cipher.initializeKey(tempKey)
    }

    /// MixHash(data): h = SHA-256(h ‖ data).
    mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = NoiseCrypto.sha256(handshakeHash, data)
    }

    /// EncryptAndHash(plaintext): encrypts with `h` as associated data (the identity
    /// while there is no key yet), then mixes the ciphertext into `h`.
    mutating func encryptAndHash(_ plaintext: [UInt8]) throws -> [UInt8] {
        let ciphertext = try cipher.encrypt(ad: handshakeHash, plaintext: plaintext)
        mixHash(ciphertext)
        return ciphertext
    }

    /// DecryptAndHash(ciphertext).
    mutating func decryptAndHash(_ ciphertext: [UInt8], what: String) throws -> [UInt8] {
        let plaintext = try cipher.decrypt(ad: handshakeHash, ciphertext: ciphertext, what: what)
        mixHash(ciphertext)
        return plaintext
    }

    /// True once a DH result has been mixed in: static keys and payloads are encrypted
    /// from then on (and carry a 16-byte tag).
    var hasKey: Bool { cipher.hasKey }

    /// Split(): the two transport CipherStates, initiator-to-responder first.
    func split() -> (CipherState, CipherState) {
        let (first, second) = Self.hkdf2(chainingKey: chainingKey, inputKeyMaterial: [])
        return (CipherState(key: first), CipherState(key: second))
    }

    /// HKDF(chaining_key, input_key_material, 2) of the Noise spec (section 4.3), with
    /// HMAC-SHA256.
    static func hkdf2(chainingKey: [UInt8], inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        let tempKey = NoiseCrypto.hmacSHA256(key: chainingKey, inputKeyMaterial)
        let output1 = NoiseCrypto.hmacSHA256(key: tempKey, [0x01])
        let output2 = NoiseCrypto.hmacSHA256(key: tempKey, output1, [0x02])
        return (output1, output2)
    }
}
