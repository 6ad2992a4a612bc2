internal import COpenSSL
import LibP2PCore

/// The one `SSL_CTX` every libp2p TLS connection is made from, configured once:
/// TLS 1.3 only; peers must present a certificate (the server requires one from the
/// client); no session tickets or resumption (every handshake authenticates afresh);
/// and the ALPN choice of `ALPN.select`. Per-connection settings (certificate, ALPN
/// offer, role) go on each `SSL`. OpenSSL allows making `SSL`s from a configured
/// `SSL_CTX` on any thread, and it is never changed after `init`, hence `@unchecked Sendable`.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer  // SSL_CTX*

    /// Made on first use; creating an `SSL_CTX` is costly in OpenSSL 3, so it is shared.
    static let shared = Result { () throws(TLSError) -> TLSContext in try TLSContext() }

    private init() throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_method()) else {
            throw TLSError.openSSL("SSL_CTX_new: \(OpenSSLErrorQueue.drain())")
        }
        guard shim_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            shim_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1,
            SSL_CTX_set_num_tickets(context, 0) == 1
        else {
            SSL_CTX_free(context)
            throw TLSError.openSSL("configuring TLS 1.3: \(OpenSSLErrorQueue.drain())")
        }
        _ = SSL_CTX_set_options(context, shim_SSL_OP_NO_TICKET())
        _ = shim_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptForLaterCheck)
        SSL_CTX_set_alpn_select_cb(context, selectALPN, nil)
        self.context = context
    }
}

/// OpenSSL's chain verification would refuse every libp2p certificate: it is
/// self-signed, and rust-libp2p marks its extension critical
/// (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION). So every outcome is accepted here, and
/// `LibP2PCertificate.verify` checks the chain fully once the handshake is done,
/// before the connection is used. OpenSSL still checks the peer's CertificateVerify
/// signature with the certificate's key during the handshake.
private func acceptForLaterCheck(_ preverifyOK: Int32, _ store: OpaquePointer?) -> Int32 {
    1
}

/// The server's ALPN choice (`ALPN.select`), with the muxers of the connection's
/// `TLSEngine` (found through the `SSL`'s app data). No acceptable protocol aborts
/// the handshake with a no_application_protocol alert, as the spec requires.
private func selectALPN(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?,
    _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ssl, let out, let outLength, let offered, let engine = TLSEngine.owner(of: ssl) else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    let wire = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    guard let choice = ALPN.select(fromWire: wire, supported: engine.supportedMuxers) else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    out.pointee = offered + choice.lowerBound
    outLength.pointee = UInt8(choice.count)
    return SSL_TLSEXT_ERR_OK
}
