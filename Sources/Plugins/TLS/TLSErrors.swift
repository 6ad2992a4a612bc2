/// What went wrong in a TLS connection, outside the certificate checks.
public enum TLSError: Error, Equatable, CustomStringConvertible {
    /// OpenSSL failed the handshake: the peer's alert or our own refusal, with
    /// OpenSSL's reasons (for example "unsupported protocol" for a TLS 1.2 peer).
    case handshakeFailed(String)
    /// The byte stream ended before the handshake finished.
    case closedDuringHandshake
    /// The handshake finished without an ALPN protocol: the peer offered or chose none.
    case noALPN
    /// ALPN settled on a protocol we never offered or support.
    case unexpectedALPN(String)
    /// A protocol ID that ALPN cannot carry (empty, or longer than 255 bytes).
    case invalidALPNProtocol(String)
    /// OpenSSL failed outside the handshake (setup, encryption, decryption).
    case openSSL(String)
    /// The peer's byte stream ended in the middle of a TLS record.
    case truncatedRecord
    /// A second task wrote while a write was in progress.
    case concurrentWrite

    public var description: String {
        switch self {
        case .handshakeFailed(let why): return "TLS handshake failed: \(why)"
        case .closedDuringHandshake: return "the connection closed during the TLS handshake"
        case .noALPN: return "TLS handshake finished without an ALPN protocol (libp2p requires one)"
        case .unexpectedALPN(let name): return "ALPN selected \"\(name)\", which we did not offer"
        case .invalidALPNProtocol(let name): return "\"\(name)\" cannot be an ALPN protocol (1 to 255 bytes)"
        case .openSSL(let why): return "OpenSSL error: \(why)"
        case .truncatedRecord: return "the connection ended in the middle of a TLS record"
        case .concurrentWrite: return "concurrent writes on one TLS channel"
        }
    }
}

/// Why the peer's libp2p certificate was refused (libp2p/specs `tls/tls.md`,
/// "Peer Authentication"). A bad host-key signature is `SecurityError.invalidSignature`.
public enum TLSCertificateError: Error, Equatable, CustomStringConvertible {
    /// Not exactly one certificate.
    case chainLength(Int)
    /// Not a DER X.509 certificate, or a field OpenSSL cannot read.
    case malformed(String)
    /// The certificate's signature by its own key does not verify.
    case invalidSelfSignature
    case notYetValid
    case expired
    /// No libp2p public key extension (OID 1.3.6.1.4.1.53594.1.1).
    case missingExtension
    case duplicateExtension
    /// A critical extension we do not understand (the spec says abort).
    case unknownCriticalExtension(String)
    /// The deprecated issuerUniqueID or subjectUniqueID is present.
    case uniqueIdentifiersPresent
    /// The extension's value is not `SignedKey ::= SEQUENCE { OCTET STRING, OCTET STRING }`.
    case malformedSignedKey(String)
    /// The host key inside the extension is not a valid libp2p public key.
    case invalidHostKey(String)

    public var description: String {
        switch self {
        case .chainLength(let n): return "the peer sent \(n) certificates; libp2p requires exactly one"
        case .malformed(let why): return "malformed certificate: \(why)"
        case .invalidSelfSignature: return "the certificate's self-signature is invalid"
        case .notYetValid: return "the certificate is not valid yet"
        case .expired: return "the certificate has expired"
        case .missingExtension: return "the certificate lacks the libp2p public key extension"
        case .duplicateExtension: return "the certificate carries the libp2p public key extension twice"
        case .unknownCriticalExtension(let oid): return "the certificate has an unknown critical extension \(oid)"
        case .uniqueIdentifiersPresent: return "the certificate has the deprecated unique identifier fields"
        case .malformedSignedKey(let why): return "malformed libp2p public key extension: \(why)"
        case .invalidHostKey(let why): return "invalid host key in the libp2p extension: \(why)"
        }
    }
}
