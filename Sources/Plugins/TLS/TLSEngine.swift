internal import COpenSSL
import LibP2PCore
import LibP2PTLSCertificate
import NIOCore

/// One TLS 1.3 connection as a synchronous state machine around an OpenSSL `SSL`
/// and two memory BIOs: ciphertext from the peer is fed in, ciphertext for the peer
/// is taken out, plaintext goes through `read` and `write`. No I/O and no waiting:
/// `TLSSession` pumps the bytes to and from a `ByteStream`.
///
/// Not thread-safe, like the `SSL` inside: the owner serialises every call (under a lock).
/// Buffers stay bounded because the owner feeds one chunk only when the engine asks
/// for input, and takes the output after every call that may produce some.
final class TLSEngine {
    enum Role { case client, server }

    enum HandshakeProgress {
        case complete
        case needsInput
        case failed(TLSError)
    }

    enum ReadResult {
        case plaintext(ByteBuffer)
        /// Feed more ciphertext, then read again.
        case needsInput
        /// The peer sent close_notify.
        case closed
    }

    /// Plaintext returned by one `read`, at most (several records' worth): as much
    /// as one socket read brings (`SocketBootstrap.maxReadSize`).
    static let maxReadChunk = 256 * 1024

    let role: Role
    /// The muxer protocol IDs in our preference order: the server's ALPN choice.
    let supportedMuxers: [String]
    private let ssl: OpaquePointer
    /// Ciphertext from the peer, which OpenSSL reads (owned by `ssl`).
    private let fromPeer: OpaquePointer
    /// Ciphertext OpenSSL wrote for the peer (owned by `ssl`).
    private let toPeer: OpaquePointer
    /// A fatal read error seen after some plaintext was returned, reported next time.
    private var pendingReadError: TLSError?

    init(context: TLSContext, role: Role, certificate: LibP2PCertificate, muxers: [String]) throws {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let ssl = SSL_new(context.context) else {
            throw TLSError.openSSL("SSL_new: \(OpenSSLErrorQueue.drain())")
        }
        guard let (fromPeer, toPeer) = OpenSSLMemoryBIOs.attach(to: ssl) else {  // `ssl` owns both from here
            SSL_free(ssl)
            throw TLSError.openSSL("out of memory")
        }

        self.ssl = ssl
        self.fromPeer = fromPeer
        self.toPeer = toPeer
        self.role = role
        self.supportedMuxers = muxers

        // From here `deinit` frees everything if a step fails.
        guard SSL_use_certificate(ssl, certificate.certificate) == 1,
            SSL_use_PrivateKey(ssl, certificate.privateKey) == 1
        else { throw TLSError.openSSL("installing the certificate: \(OpenSSLErrorQueue.drain())") }
        switch role {
        case .client:
            // No SNI: the spec reserves it for future versions.
            let offer = try ALPN.encode(ALPN.clientOffer(muxers: muxers))
            guard SSL_set_alpn_protos(ssl, offer, UInt32(offer.count)) == 0 else {  // 0 is success here
                throw TLSError.openSSL("setting the ALPN offer: \(OpenSSLErrorQueue.drain())")
            }
            SSL_set_connect_state(ssl)
        case .server:
            SSL_set_accept_state(ssl)
        }
        // The ALPN callback finds this engine through the `SSL`; the engine outlives it.
        guard SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
            throw TLSError.openSSL("SSL_set_ex_data: \(OpenSSLErrorQueue.drain())")
        }
    }

    deinit {
        SSL_free(ssl)
    }

    /// The engine that owns `ssl`, for OpenSSL callbacks.
    static func owner(of ssl: OpaquePointer) -> TLSEngine? {
        guard let pointer = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<TLSEngine>.fromOpaque(pointer).takeUnretainedValue()
    }

    // MARK: Ciphertext in and out

    /// Hands ciphertext from the peer to OpenSSL.
    func feed(_ ciphertext: ByteBuffer) {
        ciphertext.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            // A memory BIO takes everything (it only fails when out of memory).
            _ = BIO_write(fromPeer, base, Int32(bytes.count))
        }
    }

    /// Ciphertext OpenSSL produced for the peer since the last call, if any.
    func takeOutput() -> ByteBuffer? {
        let pending = BIO_ctrl_pending(toPeer)
        guard pending > 0 else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
            Int(max(0, BIO_read(toPeer, space.baseAddress, Int32(pending))))
        }
        return buffer
    }

    /// True while part of a record from the peer waits for the rest.
    var hasPartialRecord: Bool {
        BIO_ctrl_pending(fromPeer) > 0 || SSL_has_pending(ssl) == 1
    }

    // MARK: Handshake

    func handshake() -> HandshakeProgress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .needsInput
        case SSL_ERROR_ZERO_RETURN:
            return .failed(.handshakeFailed("the peer closed the TLS session"))
        default:
            return .failed(.handshakeFailed(OpenSSLErrorQueue.drain()))
        }
    }

    /// The ALPN protocol agreed in the handshake, if any.
    var selectedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The host key the peer's certificate authenticates (`LibP2PCertificate.verify`).
    func authenticatePeer() throws -> PublicKey {
        guard let leaf = SSL_get0_peer_certificate(ssl) else { throw TLSCertificateError.chainLength(0) }
        // A client's view of the chain includes the server's leaf; a server's view of
        // the client's chain does not (OpenSSL's documented asymmetry).
        let sent = SSL_get_peer_cert_chain(ssl).map { Int(shim_sk_X509_num($0)) } ?? 0
        let chainLength = role == .client ? max(sent, 1) : sent + 1
        return try LibP2PCertificate.verify(certificate: leaf, chainLength: chainLength)
    }

    // MARK: Application data

    /// Decrypted plaintext, up to `maxReadChunk` bytes, as many records as are complete.
    /// Decrypted straight into the buffer returned, sized by the ciphertext waiting
    /// (plaintext is never longer), so a small message gets a small buffer and a
    /// big one is not copied out of a scratch area.
    func read() throws -> ReadResult {
        if let error = pendingReadError { throw error }
        ERR_clear_error()
        let waiting = Int(BIO_ctrl_pending(fromPeer)) + Int(SSL_pending(ssl))
        var plaintext = ByteBufferAllocator().buffer(capacity: min(Self.maxReadChunk, max(waiting, 256)))
        var closed = false
        var failure: TLSError?
        plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
            var total = 0
            while total < space.count {
                var count = 0
                let result = SSL_read_ex(ssl, space.baseAddress! + total, space.count - total, &count)
                if result == 1 {
                    total += count
                    continue
                }
                switch SSL_get_error(ssl, result) {
                case SSL_ERROR_WANT_READ:
                    break
                case SSL_ERROR_ZERO_RETURN:
                    closed = true
                default:
                    failure = TLSError.openSSL("receiving: \(OpenSSLErrorQueue.drain())")
                }
                break
            }
            return total
        }
        if plaintext.readableBytes == 0 {
            if closed { return .closed }
            if let failure { throw failure }
            return .needsInput
        }
        // Plaintext came before the failure: return it now, report the failure next.
        pendingReadError = failure
        return .plaintext(plaintext)
    }

    /// Encrypts all of `plaintext` into records, ready in `takeOutput()`.
    func write(_ plaintext: ByteBuffer) throws {
        ERR_clear_error()
        try plaintext.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            var written = 0
            // Without SSL_MODE_ENABLE_PARTIAL_WRITE, and with a memory BIO that never
            // pushes back, OpenSSL writes everything or fails.
            guard SSL_write_ex(ssl, base, bytes.count, &written) == 1, written == bytes.count else {
                throw TLSError.openSSL("encrypting: \(OpenSSLErrorQueue.drain())")
            }
        }
    }

    /// Queues close_notify (once): the TLS 1.3 half-close; reading goes on.
    func sendCloseNotify() {
        guard SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN == 0 else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)  // 0: sent, the peer's close_notify not seen yet
        ERR_clear_error()
    }
}
