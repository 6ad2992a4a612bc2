internal import COpenSSL

/// secp256k1, ECDSA and RSA public keys through OpenSSL 3.
///
/// Placeholder until the key-types work lands: these types are recognised but
/// refused, with a clear error, rather than accepted unchecked.
enum OpenSSLKeys {
    static func validate(type: KeyType, data: [UInt8]) throws {
        throw KeyError.unsupported("\(type) keys are not supported yet")
    }

    static func verify(type: KeyType, key: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        false
    }
}
