internal import CGnuTLS
import LibP2PCore
import LibP2PTLSCertificate
import NIOConcurrencyHelpers

/// The host's libp2p certificate as GnuTLS certificate credentials, shared by every
/// connection of that identity. The certificate itself is made and later verified by
/// `LibP2PTLSCertificate` (the same code the tls plugin uses); GnuTLS only gets its
/// DER. GnuTLS allows one credentials object to serve many sessions at once, and it
/// is never changed after `init`: hence `@unchecked Sendable`.
final class QUICCredentials: @unchecked Sendable {
    let credentials: OpaquePointer  // gnutls_certificate_credentials_t
    let owner: PublicKey

    convenience init(identity: PrivateKey, certificates: CertificateCache) throws {
        let certificate = try certificates.certificate(for: identity)
        try self.init(certificateDER: certificate.der, keyDER: try certificate.privateKeyDER(), owner: identity.publicKey)
        // Checking our own certificate once warms OpenSSL's decoders (its first X.509
        // parse in a process costs about a millisecond), which would otherwise land
        // on the first handshake's verify callback.
        _ = try? LibP2PCertificate.verify(chain: [certificate.der])
        _ = try PriorityCache.shared.get()
    }

    /// Credentials from any certificate and key in DER (tests present bad ones).
    init(certificateDER: [UInt8], keyDER: [UInt8], owner: PublicKey) throws {
        var made: OpaquePointer?
        guard gnutls_certificate_allocate_credentials(&made) == GNUTLS_E_SUCCESS, let made else {
            throw QUICError.library("gnutls_certificate_allocate_credentials failed")
        }
        let status = certificateDER.withUnsafeBytes { cert in
            keyDER.withUnsafeBytes { key in
                var certDatum = shim_gnutls_datum(cert.baseAddress, UInt32(cert.count))
                var keyDatum = shim_gnutls_datum(key.baseAddress, UInt32(key.count))
                return gnutls_certificate_set_x509_key_mem2(made, &certDatum, &keyDatum, GNUTLS_X509_FMT_DER, nil, 0)
            }
        }
        guard status >= 0 else {
            gnutls_certificate_free_credentials(made)
            throw QUICError.library("GnuTLS refused the libp2p certificate: \(GnuTLS.describe(status))")
        }
        self.credentials = made
        self.owner = owner
    }

    deinit {
        gnutls_certificate_free_credentials(credentials)
    }
}

/// The credentials of the most recent identity (a host has one), made once: building
/// the certificate costs milliseconds that would otherwise land on every handshake.
final class QUICCredentialsCache: Sendable {
    private let certificates = CertificateCache()
    private let latest = NIOLockedValueBox<QUICCredentials?>(nil)

    func credentials(for identity: PrivateKey) throws -> QUICCredentials {
        let owner = identity.publicKey
        if let cached = latest.withLockedValue({ $0?.owner == owner ? $0 : nil }) { return cached }
        let made = try QUICCredentials(identity: identity, certificates: certificates)
        latest.withLockedValue { $0 = made }
        return made
    }
}

/// Small GnuTLS helpers.
enum GnuTLS {
    static func describe(_ status: Int32) -> String {
        guard let text = gnutls_strerror(status) else { return "GnuTLS error \(status)" }
        return String(cString: text)
    }
}
