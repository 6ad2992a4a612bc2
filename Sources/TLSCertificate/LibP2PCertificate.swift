internal import COpenSSL
import LibP2PCore
import LibP2PRegistry

/// The self-signed X.509 certificate of libp2p TLS (specs `tls/tls.md`): a fresh
/// ECDSA P-256 key signs it, and it carries the host's public key and the host key's
/// signature over the certificate key in the libp2p public key extension. Owns its
/// OpenSSL objects and frees them on deinit. Never changed after `make`, and
/// OpenSSL's reference-counted `X509` and `EVP_PKEY` may be used from several threads
/// once built (installing them in an `SSL` only takes a reference): hence
/// `@unchecked Sendable`, so one certificate can serve many connections.
public final class LibP2PCertificate: @unchecked Sendable {
    /// The libp2p public key extension, allocated by IANA to libp2p.
    public static let extensionOID = "1.3.6.1.4.1.53594.1.1"
    /// What the host key signs, before the certificate's SubjectPublicKeyInfo.
    public static let signaturePrefix = Array("libp2p-tls-handshake:".utf8)
    /// Valid from an hour ago, to tolerate clock skew between peers (go does the same)...
    static let backdateSeconds = 3600
    /// ...for a hundred years: the key is throwaway, nothing is gained by expiry.
    static let validityDays = 365 * 100

    /// The `X509*`, for a consumer on OpenSSL (the TLS plugin installs it in its `SSL`s).
    public let certificate: OpaquePointer  // X509*
    /// The certificate key's `EVP_PKEY*`, for a consumer on OpenSSL.
    public let privateKey: OpaquePointer  // EVP_PKEY*

    private init(certificate: OpaquePointer, privateKey: OpaquePointer) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(privateKey)
    }

    /// A new certificate with a new P-256 key, binding it to `identity`.
    public static func make(identity: PrivateKey) throws -> LibP2PCertificate {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let key = shim_EVP_PKEY_generate_ec("prime256v1") else {
            throw CertificateBuildError.openSSL("generating the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw CertificateBuildError.openSSL("out of memory")
        }
        // From here on the instance owns both and frees them if building fails.
        let made = LibP2PCertificate(certificate: x509, privateKey: key)
        try made.fill(identity: identity)
        return made
    }

    private func fill(identity: PrivateKey) throws {
        func check(_ ok: Bool, _ step: String) throws {
            guard ok else { throw CertificateBuildError.openSSL("\(step): \(OpenSSLErrorQueue.drain())") }
        }
        var serial: UInt64 = 0
        try withUnsafeMutableBytes(of: &serial) { try check(RAND_bytes($0.baseAddress, 8) == 1, "random serial") }
        serial >>= 1  // positive, as RFC 5280 wants
        try check(X509_set_version(certificate, Int(X509_VERSION_3)) == 1, "version")
        try check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1, "serial")
        try check(X509_gmtime_adj(X509_getm_notBefore(certificate), -Self.backdateSeconds) != nil, "notBefore")
        try check(X509_time_adj_ex(X509_getm_notAfter(certificate), Int32(Self.validityDays), 0, nil) != nil, "notAfter")
        // RFC 5280 wants an issuer; a random serialNumber attribute names this one (as go does).
        let name = X509_get_subject_name(certificate)
        try check(X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_ASC, "\(serial)", -1, -1, 0) == 1, "subject")
        try check(X509_set_issuer_name(certificate, name) == 1, "issuer")
        try check(X509_set_pubkey(certificate, privateKey) == 1, "public key")

        guard let keyInfo = Self.subjectPublicKeyInfo(of: certificate) else {
            throw CertificateBuildError.openSSL("encoding the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        let signedKey = SignedKey(
            publicKey: identity.publicKey.protobufEncoded,
            signature: identity.sign(Self.signaturePrefix + keyInfo))
        try addExtension(value: try signedKey.derEncoded())
        try check(X509_sign(certificate, privateKey, EVP_sha256()) > 0, "signing the certificate")
    }

    /// Adds the libp2p extension, not critical: go marks it so, and a stock verifier
    /// of any peer then has no reason to refuse it.
    private func addExtension(value: [UInt8]) throws {
        guard let oid = OBJ_txt2obj(Self.extensionOID, 1) else { throw CertificateBuildError.openSSL("bad OID") }
        defer { ASN1_OBJECT_free(oid) }
        guard let octets = ASN1_OCTET_STRING_new() else { throw CertificateBuildError.openSSL("out of memory") }
        defer { ASN1_OCTET_STRING_free(octets) }
        guard ASN1_OCTET_STRING_set(octets, value, Int32(value.count)) == 1,
            let ext = X509_EXTENSION_create_by_OBJ(nil, oid, 0, octets)
        else { throw CertificateBuildError.openSSL("building the extension: \(OpenSSLErrorQueue.drain())") }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate, ext, -1) == 1 else {
            throw CertificateBuildError.openSSL("adding the extension: \(OpenSSLErrorQueue.drain())")
        }
    }

    /// The certificate in DER, for a consumer on another TLS library (QUIC's GnuTLS).
    public var der: [UInt8] {
        OpenSSLSupport.der { i2d_X509(certificate, $0) } ?? []
    }

    /// The certificate key as unencrypted PKCS#8 DER, with `der` what another TLS
    /// library needs to present this certificate. Throws only when out of memory.
    public func privateKeyDER() throws -> [UInt8] {
        defer { ERR_clear_error() }
        guard let info = EVP_PKEY2PKCS8(privateKey) else {
            throw CertificateBuildError.openSSL("PKCS#8 of the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let der = OpenSSLSupport.der({ i2d_PKCS8_PRIV_KEY_INFO(info, $0) }) else {
            throw CertificateBuildError.openSSL("encoding the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        return der
    }

    /// DER SubjectPublicKeyInfo of the certificate's key, as it appears in the certificate.
    static func subjectPublicKeyInfo(of x509: OpaquePointer) -> [UInt8]? {
        OpenSSLSupport.der { i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), $0) }
    }

    /// Checks a peer's certificate chain, given in DER, as libp2p requires; see
    /// `verify(certificate:chainLength:at:)`. For certificates from elsewhere than a
    /// live handshake (the spec's vectors, tests).
    public static func verify(chain: [[UInt8]], at unixTime: Int? = nil) throws -> PublicKey {
        guard chain.count == 1 else { throw TLSCertificateError.chainLength(chain.count) }
        ERR_clear_error()
        defer { ERR_clear_error() }
        let der = chain[0]
        let parsed: (x509: OpaquePointer?, consumed: Int) = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let x509 = d2i_X509(nil, &cursor, buffer.count)
            return (x509, cursor.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard let x509 = parsed.x509 else {
            throw TLSCertificateError.malformed("not a DER certificate: \(OpenSSLErrorQueue.drain())")
        }
        defer { X509_free(x509) }
        guard parsed.consumed == der.count else {
            throw TLSCertificateError.malformed("\(der.count - parsed.consumed) bytes after the certificate")
        }
        return try verify(certificate: x509, chainLength: 1, at: unixTime)
    }

    /// Checks the peer's certificate as libp2p requires and returns the host key it
    /// authenticates: exactly one certificate in the chain, a valid self-signature,
    /// inside its validity period at `unixTime` (now when nil), no unknown critical
    /// extension, and the libp2p extension (critical or not) holding a host key whose
    /// signature over "libp2p-tls-handshake:" ‖ the certificate's SubjectPublicKeyInfo
    /// verifies. Works on the `X509` OpenSSL already parsed in the handshake: parsing
    /// a certificate again costs most of a millisecond in OpenSSL 3.0.
    public static func verify(certificate x509: OpaquePointer, chainLength: Int, at unixTime: Int? = nil) throws -> PublicKey {
        guard chainLength == 1 else { throw TLSCertificateError.chainLength(chainLength) }
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let certificateKey = X509_get0_pubkey(x509) else {
            throw TLSCertificateError.malformed("unusable public key: \(OpenSSLErrorQueue.drain())")
        }
        guard X509_verify(x509, certificateKey) == 1 else { throw TLSCertificateError.invalidSelfSignature }
        try checkValidity(x509, at: unixTime)

        var issuerUID: UnsafePointer<ASN1_BIT_STRING>?
        var subjectUID: UnsafePointer<ASN1_BIT_STRING>?
        X509_get0_uids(x509, &issuerUID, &subjectUID)
        guard issuerUID == nil, subjectUID == nil else { throw TLSCertificateError.uniqueIdentifiersPresent }

        let signedKey = try SignedKey(der: try libp2pExtensionValue(x509))
        let hostKey: PublicKey
        do {
            hostKey = try PublicKey(protobuf: signedKey.publicKey)
        } catch {
            throw TLSCertificateError.invalidHostKey("\(error)")
        }
        guard let keyInfo = subjectPublicKeyInfo(of: x509) else {
            throw TLSCertificateError.malformed("cannot encode the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        guard hostKey.verify(signature: signedKey.signature, for: signaturePrefix + keyInfo) else {
            throw SecurityError.invalidSignature
        }
        return hostKey
    }

    private static func checkValidity(_ x509: OpaquePointer, at unixTime: Int?) throws {
        var when = time_t(unixTime ?? 0)
        func compare(_ asn1Time: UnsafePointer<ASN1_TIME>?) -> Int32 {
            // -1: at or before `when`; 1: after; 0: unreadable.
            unixTime == nil ? X509_cmp_time(asn1Time, nil) : X509_cmp_time(asn1Time, &when)
        }
        switch compare(X509_get0_notBefore(x509)) {
        case -1: break
        case 1: throw TLSCertificateError.notYetValid
        default: throw TLSCertificateError.malformed("unreadable notBefore")
        }
        switch compare(X509_get0_notAfter(x509)) {
        case 1: break
        case -1: throw TLSCertificateError.expired
        default: throw TLSCertificateError.malformed("unreadable notAfter")
        }
    }

    /// The DER value of the one libp2p extension; refuses unknown critical extensions.
    private static func libp2pExtensionValue(_ x509: OpaquePointer) throws -> [UInt8] {
        guard let oid = OBJ_txt2obj(extensionOID, 1) else { throw CertificateBuildError.openSSL("bad OID") }
        defer { ASN1_OBJECT_free(oid) }
        var found: OpaquePointer?
        for index in 0..<X509_get_ext_count(x509) {
            guard let ext = X509_get_ext(x509, index) else { continue }
            let object = X509_EXTENSION_get_object(ext)
            if OBJ_cmp(object, oid) == 0 {
                guard found == nil else { throw TLSCertificateError.duplicateExtension }
                found = ext
            } else if X509_EXTENSION_get_critical(ext) == 1, X509_supported_extension(ext) == 0 {
                throw TLSCertificateError.unknownCriticalExtension(objectText(object))
            }
        }
        guard let found, let value = X509_EXTENSION_get_data(found) else {
            throw TLSCertificateError.missingExtension
        }
        let length = Int(ASN1_STRING_length(value))
        guard length > 0, let bytes = ASN1_STRING_get0_data(value) else {
            throw TLSCertificateError.malformedSignedKey("empty extension value")
        }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    private static func objectText(_ object: OpaquePointer?) -> String {
        var text = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&text, Int32(text.count), object, 1)
        guard length > 0 else { return "(unreadable OID)" }
        return String(decoding: text.prefix(min(Int(length), text.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
