internal import CSodium

/// Validation and signature checks for each key type. Ed25519 goes through
/// libsodium; the other types through OpenSSL (`OpenSSLKeys`).
enum KeyVerification {
    static func validate(type: KeyType, data: [UInt8]) throws {
        switch type {
        case .ed25519:
            Sodium.ensureInitialized()
            guard data.count == Int(crypto_sign_PUBLICKEYBYTES) else {
                throw KeyError.invalidKey(.ed25519, "expected 32 bytes, got \(data.count)")
            }
        case .secp256k1, .ecdsa, .rsa:
            try OpenSSLKeys.validate(type: type, data: data)
        }
    }

    static func verify(type: KeyType, key: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        switch type {
        case .ed25519:
            Sodium.ensureInitialized()
            guard key.count == Int(crypto_sign_PUBLICKEYBYTES),
                signature.count == Int(crypto_sign_BYTES)
            else { return false }
            return crypto_sign_verify_detached(signature, message, UInt64(message.count), key) == 0
        case .secp256k1, .ecdsa, .rsa:
            return OpenSSLKeys.verify(type: type, key: key, signature: signature, message: message)
        }
    }
}
