/// The Noise spec's CipherState (section 5.1): a key `k` (or none) and a 64-bit
/// nonce counter `n`. Without a key, encryption is the identity, as the handshake's
/// first message needs. Once `n` reaches 2^64 - 1 the key is spent: the spec reserves
/// that value, so both directions fail with `nonceExhausted` from then on.
struct CipherState: Sendable {
    private(set) var key: [UInt8]?
    private(set) var nonce: UInt64

    init(key: [UInt8]? = nil, nonce: UInt64 = 0) {
        precondition(key == nil || key!.count == NoiseCrypto.hashLength, "cipher key must be 32 bytes")
        self.key = key
        self.nonce = nonce
    }

    var hasKey: Bool { key != nil }

    /// InitializeKey(key): a new key resets the nonce.
    mutating func initializeKey(_ key: [UInt8]) {
        self = CipherState(key: key)
    }

    // MARK: Byte-array forms (handshake messages)

    /// EncryptWithAd(ad, plaintext).
    mutating func encrypt(ad: [UInt8], plaintext: [UInt8]) throws -> [UInt8] {
        guard hasKey else { return plaintext }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + NoiseCrypto.tagLength)
        try ad.withUnsafeBytes { ad in
            try plaintext.withUnsafeBytes { plaintext in
                try ciphertext.withUnsafeMutableBytes { output in
                    try encrypt(ad: ad, plaintext: plaintext, into: output)
                }
            }
        }
        return ciphertext
    }

    /// DecryptWithAd(ad, ciphertext).
    mutating func decrypt(ad: [UInt8], ciphertext: [UInt8], what: String) throws -> [UInt8] {
        guard hasKey else { return ciphertext }
        guard ciphertext.count >= NoiseCrypto.tagLength else {
            throw NoiseError.messageTooShort(what, length: ciphertext.count, minimum: NoiseCrypto.tagLength)
        }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - NoiseCrypto.tagLength)
        try ad.withUnsafeBytes { ad in
            try ciphertext.withUnsafeBytes { ciphertext in
                try plaintext.withUnsafeMutableBytes { output in
                    try decrypt(ad: ad, ciphertext: ciphertext, into: output, what: what)
                }
            }
        }
        return plaintext
    }

    // MARK: Buffer forms (transport frames, no copies)

    /// Encrypts `plaintext` into `output` (`plaintext.count + 16` bytes). Requires a key.
    mutating func encrypt(
        ad: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws {
        guard let key else { throw NoiseError.outOfTurn("encryption without a key") }
        guard nonce != .max else { throw NoiseError.nonceExhausted }
        NoiseCrypto.seal(key: key, nonce: nonce, ad: ad, plaintext: plaintext, into: output)
        nonce += 1
    }

    /// Decrypts `ciphertext` into `output` (`ciphertext.count - 16` bytes). Requires a
    /// key. On failure the nonce does not advance, as the spec says.
    mutating func decrypt(
        ad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer, what: String
    ) throws {
        guard let key else { throw NoiseError.outOfTurn("decryption without a key") }
        guard nonce != .max else { throw NoiseError.nonceExhausted }
        guard NoiseCrypto.open(key: key, nonce: nonce, ad: ad, ciphertext: ciphertext, into: output) else {
            throw NoiseError.decryptionFailed(what)
        }
        nonce += 1
    }
}
