internal import COpenSSL
import LibP2PCore

/// The value of the libp2p public key extension:
/// `SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }`,
/// built and parsed with OpenSSL's generic `ASN1_SEQUENCE_ANY` codec (a sequence of
/// `ASN1_TYPE`s) rather than hand-written DER.
struct SignedKey: Equatable {
    /// The host's `PublicKey` protobuf.
    var publicKey: [UInt8]
    /// The host key's signature over "libp2p-tls-handshake:" ‖ the certificate's SubjectPublicKeyInfo.
    var signature: [UInt8]

    func derEncoded() throws -> [UInt8] {
        defer { ERR_clear_error() }
        guard let sequence = shim_sk_ASN1_TYPE_new_null() else { throw CertificateBuildError.openSSL("out of memory") }
        defer { shim_sk_ASN1_TYPE_pop_free(sequence) }
        for field in [publicKey, signature] {
            guard let item = ASN1_TYPE_new() else { throw CertificateBuildError.openSSL("out of memory") }
            var bytes = field
            guard ASN1_TYPE_set_octetstring(item, &bytes, Int32(bytes.count)) == 1,
                shim_sk_ASN1_TYPE_push(sequence, item) > 0
            else {
                ASN1_TYPE_free(item)
                throw CertificateBuildError.openSSL("building SignedKey: \(OpenSSLErrorQueue.drain())")
            }
        }
        guard let der = OpenSSLSupport.der({ i2d_ASN1_SEQUENCE_ANY(sequence, $0) }) else {
            throw CertificateBuildError.openSSL("encoding SignedKey: \(OpenSSLErrorQueue.drain())")
        }
        return der
    }

    init(publicKey: [UInt8], signature: [UInt8]) {
        self.publicKey = publicKey
        self.signature = signature
    }

    /// Parses the DER value; anything but exactly two OCTET STRINGs (and nothing after) is refused.
    init(der: [UInt8]) throws {
        defer { ERR_clear_error() }
        let parsed: (sequence: OpaquePointer?, consumed: Int) = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let sequence = d2i_ASN1_SEQUENCE_ANY(nil, &cursor, buffer.count)
            return (sequence, cursor.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard let sequence = parsed.sequence else {
            throw TLSCertificateError.malformedSignedKey("not a DER SEQUENCE: \(OpenSSLErrorQueue.drain())")
        }
        defer { shim_sk_ASN1_TYPE_pop_free(sequence) }
        guard parsed.consumed == der.count else {
            throw TLSCertificateError.malformedSignedKey("\(der.count - parsed.consumed) bytes after the SEQUENCE")
        }
        let count = shim_sk_ASN1_TYPE_num(sequence)
        guard count == 2 else {
            throw TLSCertificateError.malformedSignedKey("expected 2 fields, found \(count)")
        }
        func octets(_ index: Int32, _ name: String) throws -> [UInt8] {
            guard let item = shim_sk_ASN1_TYPE_value(sequence, index), ASN1_TYPE_get(item) == V_ASN1_OCTET_STRING else {
                throw TLSCertificateError.malformedSignedKey("\(name) is not an OCTET STRING")
            }
            var probe: UInt8 = 0  // a length query copies nothing, but wants a buffer
            let length = ASN1_TYPE_get_octetstring(item, &probe, 0)
            guard length >= 0 else { throw TLSCertificateError.malformedSignedKey("unreadable \(name)") }
            var bytes = [UInt8](repeating: 0, count: Int(length))
            _ = ASN1_TYPE_get_octetstring(item, &bytes, length)
            return bytes
        }
        publicKey = try octets(0, "publicKey")
        signature = try octets(1, "signature")
    }
}
