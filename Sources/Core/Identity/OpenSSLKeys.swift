internal import COpenSSL

/// Remote secp256k1, ECDSA and RSA public keys through OpenSSL 3's EVP API.
///
/// Encodings (libp2p/specs `peer-ids/peer-ids.md`): secp256k1 is the 33-byte
/// compressed point; ECDSA and RSA are DER SubjectPublicKeyInfo (PKIX). Every key
/// type signs SHA-256 of the message: ECDSA with a DER signature (secp256k1 too),
/// RSA with PKCS#1 v1.5. Keys are parsed afresh for each call; every OpenSSL object
/// made here is freed before returning, and the thread's OpenSSL error queue is left
/// empty (a stale error there would confuse a later `SSL_get_error` on this thread).
enum OpenSSLKeys {
    /// Smaller RSA keys are refused (as go-libp2p does).
    static let minimumRSABits: Int32 = 2048
    /// Larger RSA keys are refused too: they only make verification expensive.
    static let maximumRSABits: Int32 = 8192
    /// The ECDSA curves accepted, by OpenSSL's group name: P-256, P-384, P-521.
    static let ecdsaCurves: Set<String> = ["prime256v1", "secp384r1", "secp521r1"]
    static let secp256k1CompressedLength = 33

    static func validate(type: KeyType, data: [UInt8]) throws {
        let key = try parse(type: type, data: data)
        EVP_PKEY_free(key)
    }

    static func verify(type: KeyType, key data: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let key = try? parse(type: type, data: data) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, key) == 1 else { return false }
        if type == .rsa {
            // PKCS#1 v1.5 is OpenSSL's default for RSA; say so rather than rely on it.
            guard EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else { return false }
        }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    /// A new `EVP_PKEY` (the caller frees it) holding the checked public key.
    private static func parse(type: KeyType, data: [UInt8]) throws -> OpaquePointer {
        defer { ERR_clear_error() }
        switch type {
        case .secp256k1: return try parseSecp256k1(data)
        case .ecdsa: return try parseECDSA(data)
        case .rsa: return try parseRSA(data)
        case .ed25519: throw KeyError.unsupported("Ed25519 keys are handled by libsodium, not OpenSSL")
        }
    }

    private static func parseSecp256k1(_ data: [UInt8]) throws -> OpaquePointer {
        guard data.count == secp256k1CompressedLength else {
            throw KeyError.invalidKey(.secp256k1, "expected a 33-byte compressed point, got \(data.count) bytes")
        }
        guard data[0] == 0x02 || data[0] == 0x03 else {
            throw KeyError.invalidKey(
                .secp256k1, "compressed point must start with 0x02 or 0x03, not 0x\(String(data[0], radix: 16))")
        }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw KeyError.invalidKey(.secp256k1, "OpenSSL has no EC support: \(OpenSSLErrorQueue.drain())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        let imported = "secp256k1".withCString { group -> Bool in
            var point = data
            return point.withUnsafeMutableBytes { pointBytes -> Bool in
                var params: [OSSL_PARAM] = [
                    OSSL_PARAM_construct_utf8_string(
                        shim_OSSL_PKEY_PARAM_GROUP_NAME(), UnsafeMutablePointer(mutating: group), 0),
                    OSSL_PARAM_construct_octet_string(
                        shim_OSSL_PKEY_PARAM_PUB_KEY(), pointBytes.baseAddress, pointBytes.count),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_PKEY_fromdata_init(context) == 1
                    && EVP_PKEY_fromdata(context, &key, shim_EVP_PKEY_PUBLIC_KEY(), &params) == 1
            }
        }
        guard imported, let key else {
            throw KeyError.invalidKey(.secp256k1, "not a point on the curve: \(OpenSSLErrorQueue.drain())")
        }
        do {
            try checkPublicKey(key, type: .secp256k1)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        return key
    }

    private static func parseECDSA(_ data: [UInt8]) throws -> OpaquePointer {
        let key = try parseSubjectPublicKeyInfo(data, type: .ecdsa)
        do {
            guard EVP_PKEY_is_a(key, "EC") == 1 else {
                throw KeyError.invalidKey(.ecdsa, "SubjectPublicKeyInfo holds a \(keyTypeName(key)) key, not an EC key")
            }
            var name = [CChar](repeating: 0, count: 64)
            var nameLength = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &nameLength) == 1 else {
                throw KeyError.invalidKey(.ecdsa, "curve is not a named curve")
            }
            let curve = String(decoding: name.prefix(nameLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard ecdsaCurves.contains(curve) else {
                throw KeyError.invalidKey(.ecdsa, "unsupported curve \(curve) (accepted: P-256, P-384, P-521)")
            }
            try checkPublicKey(key, type: .ecdsa)
            return key
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
    }

    private static func parseRSA(_ data: [UInt8]) throws -> OpaquePointer {
        let key = try parseSubjectPublicKeyInfo(data, type: .rsa)
        // RSA-PSS keys have their own type name and are refused here.
        guard EVP_PKEY_is_a(key, "RSA") == 1 else {
            let name = keyTypeName(key)
            EVP_PKEY_free(key)
            throw KeyError.invalidKey(.rsa, "SubjectPublicKeyInfo holds a \(name) key, not an RSA key")
        }
        let bits = EVP_PKEY_get_bits(key)
        guard bits >= minimumRSABits, bits <= maximumRSABits else {
            EVP_PKEY_free(key)
            throw KeyError.invalidKey(
                .rsa, "\(bits)-bit modulus is outside the accepted \(minimumRSABits)...\(maximumRSABits) bits")
        }
        return key
    }

    /// DER SubjectPublicKeyInfo, with nothing after it.
    private static func parseSubjectPublicKeyInfo(_ data: [UInt8], type: KeyType) throws -> OpaquePointer {
        guard !data.isEmpty else { throw KeyError.invalidKey(type, "empty SubjectPublicKeyInfo") }
        let parsed: (key: OpaquePointer?, consumed: Int) = data.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            return (key, cursor.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard let key = parsed.key else {
            throw KeyError.invalidKey(type, "not a DER SubjectPublicKeyInfo: \(OpenSSLErrorQueue.drain())")
        }
        guard parsed.consumed == data.count else {
            EVP_PKEY_free(key)
            throw KeyError.invalidKey(type, "\(data.count - parsed.consumed) bytes after the SubjectPublicKeyInfo")
        }
        return key
    }

    /// OpenSSL's full public-key check (for EC: on the curve, not infinity, right
    /// order). The caller still owns `key`.
    private static func checkPublicKey(_ key: OpaquePointer, type: KeyType) throws {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            throw KeyError.invalidKey(type, "cannot check the key: \(OpenSSLErrorQueue.drain())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_public_check(context) == 1 else {
            throw KeyError.invalidKey(type, "public key check failed: \(OpenSSLErrorQueue.drain())")
        }
    }

    private static func keyTypeName(_ key: OpaquePointer) -> String {
        guard let name = EVP_PKEY_get0_type_name(key) else { return "unknown" }
        return String(cString: name)
    }
}
