internal import COpenSSL
import LibP2PCore

/// The outer TLS of wss, configured once per listener (server) or once per
/// process (client). This TLS authenticates nobody on purpose: the listener
/// presents a self-signed certificate made when it starts, and the dialer does not
/// check it against the web PKI, because the libp2p security handshake that runs on
/// top (noise or tls) authenticates the peer. go-libp2p's and py-libp2p's interop
/// tests run wss the same way (an insecure-skip-verify client). TLS 1.2 or 1.3.
///
/// An `SSL_CTX` is never changed after `init`, and OpenSSL allows making `SSL`s from
/// it on any thread, hence `@unchecked Sendable`.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer  // SSL_CTX*

    private init(server: Bool) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw WebSocketError.tls("SSL_CTX_new: \(OpenSSLErrorQueue.drain())")
        }
        self.context = context
        guard shim_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw WebSocketError.tls("configuring TLS versions: \(OpenSSLErrorQueue.drain())")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        // No session tickets: nothing here resumes a session, and a TLS 1.3 server
        // would otherwise make two tickets per connection and send them in front
        // of the upgrade answer, for the client to parse before reading it.
        guard SSL_CTX_set_num_tickets(context, 0) == 1 else {
            throw WebSocketError.tls("disabling session tickets: \(OpenSSLErrorQueue.drain())")
        }
        _ = SSL_CTX_set_options(context, shim_SSL_OP_NO_TICKET())
    }

    deinit { SSL_CTX_free(context) }

    /// The dialer's context: no certificate, no verification of the server's.
    static let client = Result { try TLSContext(server: false) }

    /// A listener's context with a fresh self-signed P-256 certificate.
    static func server() throws -> TLSContext {
        let tls = try TLSContext(server: true)
        guard let key = shim_EVP_PKEY_generate_ec("prime256v1") else {
            throw WebSocketError.tls("generating the certificate key: \(OpenSSLErrorQueue.drain())")
        }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw WebSocketError.tls("out of memory") }
        defer { X509_free(certificate) }
        var serial: UInt64 = 0
        withUnsafeMutableBytes(of: &serial) { _ = RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
        let name = X509_get_subject_name(certificate)
        let ok = X509_set_version(certificate, Int(X509_VERSION_3)) == 1
            && ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial >> 1) == 1
            && X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil
            && X509_time_adj_ex(X509_getm_notAfter(certificate), 365, 0, nil) != nil
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "libp2p-websocket", -1, -1, 0) == 1
            && X509_set_issuer_name(certificate, name) == 1
            && X509_set_pubkey(certificate, key) == 1
            && X509_sign(certificate, key, EVP_sha256()) > 0
            && SSL_CTX_use_certificate(tls.context, certificate) == 1
            && SSL_CTX_use_PrivateKey(tls.context, key) == 1
        guard ok else { throw WebSocketError.tls("making the self-signed certificate: \(OpenSSLErrorQueue.drain())") }
        return tls
    }
}
