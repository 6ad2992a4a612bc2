import COpenSSL
import LibP2PCore
import NIOCore

/// A TLS peer built straight on OpenSSL, configured to misbehave on purpose (old
/// TLS versions, no ALPN, extra certificates, bad certificates). It shares no code
/// with the plugin: its own SSL_CTX, memory BIOs and pump loop.
public final class RawTLSPeer {
    public enum Role: Sendable { case client, server }

    public struct Options: Sendable {
        /// Nil sends no certificate at all.
        public var certificate: CertificateMaterial?
        /// More certificates sent after the leaf.
        public var extraChain: [[UInt8]] = []
        public var maxVersion = TLS1_3_VERSION
        /// Client: the ALPN offer; nil offers none.
        public var alpnOffer: [String]? = ["libp2p"]
        /// Server: choose "libp2p" when offered; false ignores ALPN entirely.
        public var selectsALPN = true

        public init(certificate: CertificateMaterial?) { self.certificate = certificate }
    }

    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let fromPeer: OpaquePointer
    private let toPeer: OpaquePointer

    public init(role: Role, options: Options) throws {
        guard let context = SSL_CTX_new(TLS_method()) else { throw TestError("SSL_CTX_new") }
        self.context = context
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw TestError("SSL_new")
        }
        self.ssl = ssl
        fromPeer = BIO_new(BIO_s_mem())
        toPeer = BIO_new(BIO_s_mem())
        _ = shim_BIO_set_mem_eof_return(fromPeer, -1)
        _ = shim_BIO_set_mem_eof_return(toPeer, -1)
        SSL_set_bio(ssl, fromPeer, toPeer)

        _ = shim_SSL_set_min_proto_version(ssl, TLS1_2_VERSION)
        _ = shim_SSL_set_max_proto_version(ssl, options.maxVersion)
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        try check(SSL_CTX_set_num_tickets(context, 0) == 1, "tickets")

        if let material = options.certificate {
            let leaf = try Self.parseCertificate(material.certificate)
            defer { X509_free(leaf) }
            let key: OpaquePointer? = material.privateKey.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
            }
            guard let key else { throw TestError("private key") }
            defer { EVP_PKEY_free(key) }
            try check(SSL_use_certificate(ssl, leaf) == 1 && SSL_use_PrivateKey(ssl, key) == 1, "certificate")
            for der in options.extraChain {
                let extra = try Self.parseCertificate(der)
                defer { X509_free(extra) }
                try check(shim_SSL_add1_chain_cert(ssl, extra) == 1, "chain certificate")
            }
        }

        switch role {
        case .client:
            if let offer = options.alpnOffer {
                let wire = offer.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
                try check(SSL_set_alpn_protos(ssl, wire, UInt32(wire.count)) == 0, "ALPN offer")
            }
            SSL_set_connect_state(ssl)
        case .server:
            if options.selectsALPN { SSL_CTX_set_alpn_select_cb(context, selectLibp2p, nil) }
            SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Runs the handshake over `stream`; throws OpenSSL's reasons when it fails.
    public func handshake(over stream: any ByteStream) async throws {
        while true {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            let error = SSL_get_error(ssl, result)
            let reasons = Self.drainErrors()
            if let output = takeOutput() { try await stream.write(output) }
            if result == 1 { return }
            guard error == SSL_ERROR_WANT_READ else { throw TestError("raw peer handshake failed: \(reasons)") }
            guard let input = try await stream.read() else { throw TestError("raw peer: stream ended") }
            input.withUnsafeReadableBytes { _ = BIO_write(fromPeer, $0.baseAddress, Int32($0.count)) }
        }
    }

    /// The ALPN protocol this peer ended up with.
    public var selectedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func takeOutput() -> ByteBuffer? {
        let pending = BIO_ctrl_pending(toPeer)
        guard pending > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = BIO_read(toPeer, &bytes, Int32(pending))
        return read > 0 ? ByteBuffer(bytes: bytes.prefix(Int(read))) : nil
    }

    private static func parseCertificate(_ der: [UInt8]) throws -> OpaquePointer {
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 else { throw TestError("certificate DER") }
        return x509
    }

    private static func drainErrors() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            reasons.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "\(code)")
        }
        return reasons.joined(separator: "; ")
    }
}

/// Picks "libp2p" if the client offered it, else no ALPN at all.
private func selectLibp2p(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
    var index = 0
    while index < Int(offeredLength) {
        let length = Int(offered[index])
        let name = String(decoding: UnsafeBufferPointer(start: offered + index + 1, count: length), as: UTF8.self)
        if name == "libp2p" {
            out.pointee = offered + index + 1
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
        }
        index += 1 + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
