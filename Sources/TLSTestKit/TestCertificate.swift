import COpenSSL
import LibP2PCore

/// A certificate and its private key, in DER, so it can cross tasks.
public struct CertificateMaterial: Sendable {
    public let certificate: [UInt8]
    public let privateKey: [UInt8]
}

/// Builds libp2p certificates with OpenSSL directly, good or bad on purpose, to play
/// misbehaving peers (the TLS plugin's tests over a memory pipe, the adversarial
/// suite against a listener process). Shares no code with the plugin: even the
/// extension's `SignedKey` DER is written here by hand.
public struct TestCertificate: Sendable {
    /// Whose public key goes in the extension.
    public var hostKey: PrivateKey
    /// Who signs the certificate key in the extension; `hostKey` when nil.
    public var extensionSigner: PrivateKey? = nil
    public var includesExtension = true
    public var extensionIsCritical = false
    /// Replaces the extension's DER value.
    public var extensionValue: [UInt8]? = nil
    /// Validity, in seconds from now.
    public var notBefore = -3600
    public var notAfter = 30 * 86400
    /// Adds a critical extension with an OID nobody knows.
    public var unknownCriticalExtension = false

    public init(hostKey: PrivateKey) { self.hostKey = hostKey }

    public static let libp2pOID = "1.3.6.1.4.1.53594.1.1"
    public static let unknownOID = "1.3.6.1.4.1.99999.42"

    public func make() throws -> CertificateMaterial {
        guard let key = shim_EVP_PKEY_generate_ec("prime256v1") else { throw TestError("keygen") }
        defer { EVP_PKEY_free(key) }
        guard let x509 = X509_new() else { throw TestError("X509_new") }
        defer { X509_free(x509) }
        try check(X509_set_version(x509, Int(X509_VERSION_3)) == 1, "version")
        try check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), 42) == 1, "serial")
        try check(X509_gmtime_adj(X509_getm_notBefore(x509), notBefore) != nil, "notBefore")
        try check(X509_gmtime_adj(X509_getm_notAfter(x509), notAfter) != nil, "notAfter")
        let name = X509_get_subject_name(x509)
        try check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "test peer", -1, -1, 0) == 1, "name")
        try check(X509_set_issuer_name(x509, name) == 1, "issuer")
        try check(X509_set_pubkey(x509, key) == 1, "pubkey")

        if includesExtension {
            let value: [UInt8]
            if let extensionValue {
                value = extensionValue
            } else {
                let keyInfo = derBytes { i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), $0) }
                let signer = extensionSigner ?? hostKey
                value = Self.signedKeyDER(
                    publicKey: hostKey.publicKey.protobufEncoded,
                    signature: signer.sign(Array("libp2p-tls-handshake:".utf8) + keyInfo))
            }
            try addExtension(x509, oid: Self.libp2pOID, critical: extensionIsCritical, value: value)
        }
        if unknownCriticalExtension {
            try addExtension(x509, oid: Self.unknownOID, critical: true, value: [0x05, 0x00])
        }
        try check(X509_sign(x509, key, EVP_sha256()) > 0, "sign")
        return CertificateMaterial(
            certificate: derBytes { i2d_X509(x509, $0) },
            privateKey: derBytes { i2d_PrivateKey(key, $0) })
    }

    /// `SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }` in DER.
    public static func signedKeyDER(publicKey: [UInt8], signature: [UInt8]) -> [UInt8] {
        func tlv(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
            var length: [UInt8] = []
            var count = value.count
            while count > 0 {
                length.insert(UInt8(count & 0xff), at: 0)
                count >>= 8
            }
            let header = value.count < 0x80 ? [UInt8(value.count)] : [0x80 | UInt8(length.count)] + length
            return [tag] + header + value
        }
        return tlv(0x30, tlv(0x04, publicKey) + tlv(0x04, signature))
    }

    private func addExtension(_ x509: OpaquePointer, oid: String, critical: Bool, value: [UInt8]) throws {
        guard let object = OBJ_txt2obj(oid, 1), let octets = ASN1_OCTET_STRING_new() else { throw TestError("OID") }
        defer {
            ASN1_OBJECT_free(object)
            ASN1_OCTET_STRING_free(octets)
        }
        try check(ASN1_OCTET_STRING_set(octets, value, Int32(value.count)) == 1, "octets")
        guard let ext = X509_EXTENSION_create_by_OBJ(nil, object, critical ? 1 : 0, octets) else { throw TestError("ext") }
        defer { X509_EXTENSION_free(ext) }
        try check(X509_add_ext(x509, ext, -1) == 1, "add ext")
    }
}

public func check(_ ok: Bool, _ what: String) throws {
    guard ok else { throw TestError("OpenSSL failed: \(what)") }
}

public func derBytes(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
    let length = encode(nil)
    guard length > 0 else { return [] }
    var out = [UInt8](repeating: 0, count: Int(length))
    out.withUnsafeMutableBufferPointer { buffer in
        var cursor = buffer.baseAddress
        _ = encode(&cursor)
    }
    return out
}

public struct TestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

