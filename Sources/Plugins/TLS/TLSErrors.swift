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
