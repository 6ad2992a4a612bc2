internal import CSodium
import LibP2PCore

/// The Noise primitives for `25519_ChaChaPoly_SHA256`, over libsodium. This is the only
/// file that touches C: every pointer handed to libsodium lives inside one of these
/// functions and every length is checked before the call.
enum NoiseCrypto {
    /// DHLEN: X25519 public keys and shared secrets.
    static let dhLength = 32
    /// HASHLEN: SHA-256 digests, chaining keys, cipher keys.
    static let hashLength = 32
    /// Poly1305 authentication tag appended to every ciphertext.
    static let tagLength = 16

    // MARK: Hash

    /// SHA-256 over the concatenation of `parts`, without concatenating them first.
    static func sha256(_ parts: [UInt8]...) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts {
            crypto_hash_sha256_update(&state, part, UInt64(part.count))
        }
        var digest = [UInt8](repeating: 0, count: hashLength)
        crypto_hash_sha256_final(&state, &digest)
        return digest
    }

    /// HMAC-SHA256 with `key` over the concatenation of `parts`.
    static func hmacSHA256(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        crypto_auth_hmacsha256_init(&state, key, key.count)
        for part in parts {
            crypto_auth_hmacsha256_update(&state, part, UInt64(part.count))
        }
        var mac = [UInt8](repeating: 0, count: hashLength)
        crypto_auth_hmacsha256_final(&state, &mac)
        return mac
    }

    // MARK: Diffie-Hellman

    /// X25519(privateKey, publicKey). Throws when the result is all zeros, which is what
    /// a low-order (small-subgroup) public key produces: such a key contributes no
    /// secret, so the handshake must not go on with it.
    static func dh(privateKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        precondition(privateKey.count == dhLength, "X25519 private key must be 32 bytes")
        guard publicKey.count == dhLength else { throw NoiseError.invalidDHPublicKey }
        Sodium.ensureInitialized()
        var shared = [UInt8](repeating: 0, count: dhLength)
        guard crypto_scalarmult_curve25519(&shared, privateKey, publicKey) == 0 else {
            throw NoiseError.invalidDHPublicKey
        }
        return shared
    }

    /// The X25519 public key of a 32-byte private key (libsodium clamps the scalar).
    static func x25519PublicKey(privateKey: [UInt8]) -> [UInt8] {
        precondition(privateKey.count == dhLength, "X25519 private key must be 32 bytes")
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: dhLength)
        _ = crypto_scalarmult_curve25519_base(&publicKey, privateKey)
        return publicKey
    }

    /// 32 bytes from the system's CSPRNG.
    static func randomKey() -> [UInt8] {
        Sodium.ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: dhLength)
        randombytes_buf(&bytes, bytes.count)
        return bytes
    }

    // MARK: AEAD

    /// ChaCha20-Poly1305 (IETF) encryption of `plaintext` into `output`, which must hold
    /// `plaintext.count + tagLength` bytes. The 96-bit nonce is 4 zero bytes followed by
    /// `nonce` little-endian, as the Noise spec defines for ChaChaPoly.
    static func seal(
        key: [UInt8], nonce: UInt64, ad: UnsafeRawBufferPointer,
        plaintext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(key.count == hashLength, "cipher key must be 32 bytes")
        precondition(output.count >= plaintext.count + tagLength, "output too small for ciphertext")
        withNonce(nonce) { npub in
            var written: UInt64 = 0
            _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                ad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(ad.count),
                nil, npub, key)
        }
    }

    /// ChaCha20-Poly1305 (IETF) decryption of `ciphertext` (tag included) into `output`,
    /// which must hold `ciphertext.count - tagLength` bytes. False when the tag does not
    /// verify; `output` then holds nothing meaningful.
    static func open(
        key: [UInt8], nonce: UInt64, ad: UnsafeRawBufferPointer,
        ciphertext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        precondition(key.count == hashLength, "cipher key must be 32 bytes")
        guard ciphertext.count >= tagLength else { return false }
        precondition(output.count >= ciphertext.count - tagLength, "output too small for plaintext")
        return withNonce(nonce) { npub in
            var written: UInt64 = 0
            // The output pointer may be unused when the plaintext is empty, but
            // libsodium still wants a valid address for it.
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? spare.baseAddress!
                return crypto_aead_chacha20poly1305_ietf_decrypt(
                    out, &written, nil,
                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    ad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(ad.count),
                    npub, key) == 0
            }
        }
    }

    private static func withNonce<T>(_ nonce: UInt64, _ body: (UnsafePointer<UInt8>) -> T) -> T {
        withUnsafeTemporaryAllocation(byteCount: 12, alignment: 8) { raw in
            raw.storeBytes(of: 0, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: nonce.littleEndian, toByteOffset: 4, as: UInt64.self)
            return body(UnsafePointer(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        }
    }
}

/// An X25519 key pair: the Noise static key (`s`) or an ephemeral key (`e`).
struct X25519KeyPair: Sendable {
    let privateKey: [UInt8]
    let publicKey: [UInt8]

    /// A fresh random key pair.
    static func generate() -> X25519KeyPair {
        X25519KeyPair(validPrivateKey: NoiseCrypto.randomKey())
    }

    /// The key pair of a given private key (for test vectors).
    init(privateKey: [UInt8]) throws {
        guard privateKey.count == NoiseCrypto.dhLength else {
            throw NoiseError.invalidKeyLength(privateKey.count, expected: NoiseCrypto.dhLength)
        }
        self.init(validPrivateKey: privateKey)
    }

    private init(validPrivateKey: [UInt8]) {
        privateKey = validPrivateKey
        publicKey = NoiseCrypto.x25519PublicKey(privateKey: validPrivateKey)
    }
}
