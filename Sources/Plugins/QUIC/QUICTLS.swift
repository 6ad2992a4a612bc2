internal import CGnuTLS
internal import CNGTCP2
import LibP2PCore
import LibP2PTLSCertificate

/// The GnuTLS session inside one QUIC connection, set up as libp2p TLS requires
/// (specs `tls/tls.md`, `quic/README`): TLS 1.3 only, ALPN exactly `libp2p`, the
/// host's libp2p certificate on both sides (the server requires the client's), no
/// session tickets, and the peer's certificate checked during the handshake by
/// `LibP2PCertificate.verify` from a GnuTLS verify callback. ngtcp2's GnuTLS helper
/// carries the handshake bytes and installs the keys.
enum QUICTLS {
    static let alpn = "libp2p"

    /// TLS 1.3 only, without the middlebox compatibility mode QUIC forbids; the
    /// cipher suites and groups QUIC defines (ngtcp2's own examples use this list).
    static let priorities =
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
        + "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%DISABLE_TLS13_COMPAT_MODE"

    /// A configured session for `engine`'s connection; the caller hands it to ngtcp2
    /// (`ngtcp2_conn_set_tls_native_handle`) and frees it after the connection.
    static func makeSession(
        server: Bool, credentials: QUICCredentials, connRef: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>,
        alpn: String = QUICTLS.alpn
    ) throws -> OpaquePointer {
        var made: OpaquePointer?
        // A client sends one key share, X25519's (GnuTLS's default is two, the second
        // a P-256 key generated for nothing: every libp2p peer takes X25519; one that
        // did not would ask for another group with a HelloRetryRequest).
        let flags = (server ? GNUTLS_SERVER.rawValue : GNUTLS_CLIENT.rawValue | GNUTLS_KEY_SHARE_TOP.rawValue)
            | GNUTLS_NO_TICKETS.rawValue | GNUTLS_NO_END_OF_EARLY_DATA.rawValue
        guard gnutls_init(&made, flags) == GNUTLS_E_SUCCESS, let session = made else {
            throw QUICError.library("gnutls_init failed")
        }
        func check(_ status: Int32, _ step: String) throws {
            guard status >= 0 else {
                gnutls_deinit(session)
                throw QUICError.library("\(step): \(GnuTLS.describe(status))")
            }
        }
        try check(gnutls_priority_set(session, try PriorityCache.shared.get().priority), "TLS priorities")
        let configured =
            server
            ? ngtcp2_crypto_gnutls_configure_server_session(session)
            : ngtcp2_crypto_gnutls_configure_client_session(session)
        try check(configured == 0 ? 0 : -1, "ngtcp2's GnuTLS hooks")
        gnutls_session_set_ptr(session, connRef)
        try check(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(credentials.credentials)), "credentials")
        if server { gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE) }
        gnutls_session_set_verify_function(session, verifyPeerCertificate)
        var name = Array(alpn.utf8)
        let status = name.withUnsafeMutableBytes { bytes in
            var datum = shim_gnutls_datum(bytes.baseAddress, UInt32(bytes.count))
            return gnutls_alpn_set_protocols(session, &datum, 1, UInt32(GNUTLS_ALPN_MANDATORY.rawValue))
        }
        try check(status, "ALPN")
        return session
    }

    /// The protocol ALPN settled on, if any.
    static func selectedALPN(_ session: OpaquePointer) -> String? {
        var datum = gnutls_datum_t()
        guard gnutls_alpn_get_selected_protocol(session, &datum) == GNUTLS_E_SUCCESS, let data = datum.data else {
            return nil
        }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(datum.size)), as: UTF8.self)
    }

    /// The peer's certificate chain in DER, as GnuTLS received it.
    static func peerChain(_ session: OpaquePointer) -> [[UInt8]] {
        var count: UInt32 = 0
        guard let list = gnutls_certificate_get_peers(session, &count) else { return [] }
        return (0..<Int(count)).map { index in
            let datum = list[index]
            guard let data = datum.data else { return [] }
            return Array(UnsafeBufferPointer(start: data, count: Int(datum.size)))
        }
    }
}

/// The priority string parsed once per process (GnuTLS shares a priority cache
/// between sessions; parsing it per session cost every handshake).
final class PriorityCache: @unchecked Sendable {
    let priority: OpaquePointer  // gnutls_priority_t

    static let shared = Result { () throws(QUICError) -> PriorityCache in try PriorityCache() }

    private init() throws(QUICError) {
        var made: OpaquePointer?
        let status = gnutls_priority_init(&made, QUICTLS.priorities, nil)
        guard status >= 0, let made else { throw QUICError.library("TLS priorities: \(GnuTLS.describe(status))") }
        priority = made
    }
}

/// GnuTLS calls this once the peer's Certificate message has arrived; GnuTLS then
/// checks CertificateVerify with the certificate's key itself. Chain checks by GnuTLS
/// would refuse every libp2p certificate (self-signed; rust marks the extension
/// critical), so the shared libp2p verifier decides, and a dialer also checks the
/// peer ID it expects. Nonzero fails the handshake with a bad_certificate alert.
private func verifyPeerCertificate(_ session: OpaquePointer?) -> Int32 {
    guard let session, let pointer = gnutls_session_get_ptr(session) else { return -1 }
    let connRef = pointer.assumingMemoryBound(to: ngtcp2_crypto_conn_ref.self)
    guard let engine = QUICEngine.owner(of: connRef) else { return -1 }
    return engine.authenticatePeer(chain: QUICTLS.peerChain(session)) ? 0 : -1
}
