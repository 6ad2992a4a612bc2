import COpenSSL
import LibP2PConformance
import LibP2PCore

/// A private key held by OpenSSL, for tests: makes keys of every non-Ed25519 libp2p
/// type, signs the way libp2p signs (SHA-256; DER ECDSA signatures, PKCS#1 v1.5
/// RSA), and exports the public key in libp2p form. Independent of `OpenSSLKeys`,
/// which only ever sees the exported bytes.
final class OpenSSLTestKey {
    let key: OpaquePointer
    let type: KeyType

    init(taking key: OpaquePointer, type: KeyType) {
        self.key = key
        self.type = type
    }

    deinit { EVP_PKEY_free(key) }

    /// A fresh EC key on `curve` (OpenSSL's name: `prime256v1`, `secp384r1`, `secp521r1`, `secp256k1`).
    static func ec(_ curve: String, as type: KeyType) throws -> OpenSSLTestKey {
        guard let key = shim_EVP_PKEY_generate_ec(curve) else { throw TestKeyError("EC key generation on \(curve) failed") }
        return OpenSSLTestKey(taking: key, type: type)
    }

    static func rsa(bits: Int) throws -> OpenSSLTestKey {
        guard let key = shim_EVP_PKEY_generate_rsa(bits) else { throw TestKeyError("RSA-\(bits) key generation failed") }
        return OpenSSLTestKey(taking: key, type: .rsa)
    }

    /// A type-specific DER private key (PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey).
    static func fromDER(_ der: [UInt8], openSSLType: Int32, as type: KeyType) throws -> OpenSSLTestKey {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PrivateKey(openSSLType, nil, &cursor, buffer.count)
        }
        guard let key else { throw TestKeyError("cannot parse the DER private key") }
        return OpenSSLTestKey(taking: key, type: type)
    }

    /// A secp256k1 key from its raw 32-byte scalar; the public point is computed here
    /// with the EC_POINT API because OpenSSL 3.0 does not derive it on import.
    static func secp256k1(scalar: [UInt8]) throws -> OpenSSLTestKey {
        guard let group = EC_GROUP_new_by_curve_name(NID_secp256k1) else { throw TestKeyError("no secp256k1") }
        defer { EC_GROUP_free(group) }
        guard let privateNumber = BN_bin2bn(scalar, Int32(scalar.count), nil) else { throw TestKeyError("BN_bin2bn") }
        defer { BN_free(privateNumber) }
        guard let point = EC_POINT_new(group) else { throw TestKeyError("EC_POINT_new") }
        defer { EC_POINT_free(point) }
        guard EC_POINT_mul(group, point, privateNumber, nil, nil, nil) == 1 else { throw TestKeyError("EC_POINT_mul") }
        var encoded = [UInt8](repeating: 0, count: 65)
        guard EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, &encoded, 65, nil) == 65 else {
            throw TestKeyError("EC_POINT_point2oct")
        }
        guard let builder = OSSL_PARAM_BLD_new() else { throw TestKeyError("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        // The builder keeps pointers to the values until `to_param` copies them.
        let groupName = strdup("secp256k1")!
        defer { free(groupName) }
        let built = encoded.withUnsafeBytes { point -> OpaquePointer? in
            guard OSSL_PARAM_BLD_push_utf8_string(builder, shim_OSSL_PKEY_PARAM_GROUP_NAME(), groupName, 0) == 1,
                OSSL_PARAM_BLD_push_octet_string(builder, shim_OSSL_PKEY_PARAM_PUB_KEY(), point.baseAddress, point.count) == 1,
                OSSL_PARAM_BLD_push_BN(builder, shim_OSSL_PKEY_PARAM_PRIV_KEY(), privateNumber) == 1
            else { return nil }
            return OpaquePointer(OSSL_PARAM_BLD_to_param(builder))
        }
        guard let built else { throw TestKeyError("building the key parameters failed") }
        let params = UnsafeMutablePointer<OSSL_PARAM>(built)
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw TestKeyError("no EC") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, shim_EVP_PKEY_KEYPAIR(), params) == 1,
            let key
        else { throw TestKeyError("importing the secp256k1 key failed") }
        return OpenSSLTestKey(taking: key, type: .secp256k1)
    }

    /// SHA-256 then ECDSA (DER signature) or RSASSA-PKCS1-v1_5.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw TestKeyError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw TestKeyError("sign init") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw TestKeyError("sign size") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw TestKeyError("sign") }
        return Array(signature.prefix(length))
    }

    /// DER SubjectPublicKeyInfo of the public half.
    var subjectPublicKeyInfo: [UInt8] {
        let length = i2d_PUBKEY(key, nil)
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_PUBKEY(key, &cursor)
        }
        return der
    }

    /// The public key in the libp2p `Data` encoding of its type.
    var libp2pPublicKeyData: [UInt8] {
        switch type {
        case .secp256k1: return compressedPoint
        default: return subjectPublicKeyInfo
        }
    }

    /// The 33-byte compressed point, from OpenSSL's uncompressed `04 ‖ x ‖ y`.
    var compressedPoint: [UInt8] {
        var encoded = [UInt8](repeating: 0, count: 65)
        var length = 0
        guard EVP_PKEY_get_octet_string_param(key, shim_OSSL_PKEY_PARAM_PUB_KEY(), &encoded, 65, &length) == 1,
            length == 65
        else { return [] }
        let x = encoded[1...32]
        let yIsOdd = encoded[64] & 1 == 1
        return [yIsOdd ? 0x03 : 0x02] + x
    }

    /// Both encodings of the public key, as plain values.
    var publicKeyForms: (compressed: [UInt8], subjectPublicKeyInfo: [UInt8]) {
        (compressedPoint, subjectPublicKeyInfo)
    }

    func publicKey() throws -> PublicKey {
        try PublicKey(type: type, data: libp2pPublicKeyData)
    }
}

struct TestKeyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

