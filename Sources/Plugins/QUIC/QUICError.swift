import LibP2PCore

/// What went wrong in a quic-v1 connection or listener.
public enum QUICError: Error, Equatable, CustomStringConvertible {
    /// Not `/ip4|ip6/<ip>/udp/<port>/quic-v1` (with `/p2p/<id>` when dialing).
    case unsupportedAddress(String)
    /// The peer's socket refused the datagrams (ICMP port unreachable).
    case unreachable(String)
    /// The TLS handshake inside QUIC failed (GnuTLS's or ngtcp2's reason, or ours).
    case handshakeFailed(String)
    /// The handshake did not finish in time (no answer, or a peer that stalls).
    case handshakeTimeout(seconds: Double)
    /// ALPN settled on something other than `libp2p`, or on nothing.
    case wrongALPN(String?)
    /// Nothing heard from the peer for the idle timeout.
    case idleTimeout
    /// The listener turned the connection away (QUIC's CONNECTION_REFUSED): it had
    /// as many connections in their handshake or waiting to be accepted as it takes.
    case refused
    /// The peer closed the connection with an error code.
    case closedByPeer(code: UInt64, reason: String)
    /// ngtcp2 refused a packet or a call; the connection is over.
    case transport(String)
    /// The connection is closed.
    case connectionClosed
    /// The peer reset the stream (RESET_STREAM) or asked us to stop (STOP_SENDING).
    case streamReset(code: UInt64)
    /// Writing after `closeWrite()`.
    case writeAfterClose
    /// ngtcp2 or GnuTLS failed outside a connection (setup).
    case library(String)

    public var description: String {
        switch self {
        case .unsupportedAddress(let a): return "not a quic-v1 address: \(a) (want /ip4|ip6/<ip>/udp/<port>/quic-v1)"
        case .unreachable(let why): return "QUIC peer unreachable: \(why)"
        case .handshakeFailed(let why): return "QUIC handshake failed: \(why)"
        case .handshakeTimeout(let s): return "QUIC handshake did not finish within \(s) s"
        case .wrongALPN(let p): return "QUIC ALPN is \(p.map { "\"\($0)\"" } ?? "missing"), libp2p requires \"libp2p\""
        case .idleTimeout: return "QUIC connection idle timeout: nothing heard from the peer"
        case .refused: return "the QUIC listener refused the connection (CONNECTION_REFUSED: it is at its connection limit)"
        case .closedByPeer(let code, let reason):
            return "the peer closed the QUIC connection with error 0x\(String(code, radix: 16))\(reason.isEmpty ? "" : ": \(reason)")"
        case .transport(let why): return "QUIC transport error: \(why)"
        case .connectionClosed: return "the QUIC connection is closed"
        case .streamReset(let code): return "the QUIC stream was reset by the peer (code \(code))"
        case .writeAfterClose: return "write on a QUIC stream after closeWrite()"
        case .library(let why): return "QUIC setup failed: \(why)"
        }
    }
}
