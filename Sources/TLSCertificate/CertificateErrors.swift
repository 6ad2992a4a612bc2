/// A certificate could not be made (OpenSSL failed: out of memory, in practice).
public enum CertificateBuildError: Error, Equatable, CustomStringConvertible {
    case openSSL(String)

    public var description: String {
        switch self {
        case .openSSL(let why): return "making the libp2p certificate failed: \(why)"
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
