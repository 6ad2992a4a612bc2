#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A multiaddr: a self-describing network address such as
/// `/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…`, in text and binary forms.
/// Supports `/ip4`, `/ip6`, `/tcp`, `/udp`, `/dns`, `/dns4`, `/dns6`, `/p2p`, and
/// for WebSocket `/ws`, `/wss`, `/tls` and `/sni/<name>`, for QUIC `/quic-v1` (codes
/// as in the multicodec table and go-multiaddr).
public struct Multiaddr: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case ip4([UInt8])  // 4 bytes
        case ip6([UInt8])  // 16 bytes
        case tcp(UInt16)
        case udp(UInt16)
        case dns(String)
        case dns4(String)
        case dns6(String)
        case p2p(PeerID)
        /// WebSocket over the TCP connection (code 477, no value).
        case ws
        /// The older spelling of `/tls/ws` (code 478, no value).
        case wss
        /// TLS on the connection below what follows (code 448, no value).
        case tls
        /// The TLS server name to send (code 449), as in `/tls/sni/<name>/ws`.
        case sni(String)
        /// QUIC version 1 over the UDP port before it (code 0x01cc, no value).
        case quicV1
    }

    public var components: [Component]

    public init(components: [Component]) { self.components = components }

    /// Parses the text form.
    public init(_ text: String) throws {
        guard text.hasPrefix("/") else { throw MultiaddrError.invalid("must start with '/': \(text)") }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.last == "" { parts = parts.dropLast() }
        var comps: [Component] = []
        var iterator = parts.makeIterator()
        while let name = iterator.next() {
            // An unknown name is reported as such, even when nothing follows it
            // (`/ip4/1.2.3.4/webrtc`), rather than as a missing value.
            guard Component.codes[String(name)] != nil else { throw MultiaddrError.unknownProtocol(String(name)) }
            if let bare = Component(valueless: String(name)) {
                comps.append(bare)
                continue
            }
            guard let value = iterator.next() else {
                throw MultiaddrError.invalid("protocol /\(name) has no value")
            }
            comps.append(try Component(name: String(name), value: String(value)))
        }
        guard !comps.isEmpty else { throw MultiaddrError.invalid("empty multiaddr") }
        components = comps
    }

    /// Parses the binary form.
    public init(bytes: [UInt8]) throws {
        var comps: [Component] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard case .value(let code, let n) = UVarint.decode(rest) else {
                throw MultiaddrError.invalid("bad protocol code")
            }
            rest = rest.dropFirst(n)
            let (component, used) = try Component.decode(code: code, from: rest)
            comps.append(component)
            rest = rest.dropFirst(used)
        }
        guard !comps.isEmpty else { throw MultiaddrError.invalid("empty multiaddr") }
        components = comps
    }

    public var bytes: [UInt8] { components.flatMap { $0.encoded } }

    public var description: String { components.map { $0.text }.joined() }

    /// The peer ID of a trailing `/p2p/…`, if any.
    public var peerID: PeerID? {
        for case .p2p(let id) in components.reversed() { return id }
        return nil
    }

    public func appending(_ component: Component) -> Multiaddr {
        Multiaddr(components: components + [component])
    }

    public func appending(_ more: [Component]) -> Multiaddr {
        Multiaddr(components: components + more)
    }

    /// The address without any `/p2p/…` component.
    public func removingPeerID() -> Multiaddr {
        Multiaddr(components: components.filter { if case .p2p = $0 { return false } else { return true } })
    }

    /// Host and TCP port, when the address is `/ip4|ip6|dns*/…/tcp/N`.
    public var tcpHostPort: (host: String, port: Int)? {
        guard components.count >= 2, case .tcp(let port) = components[1] else { return nil }
        switch components[0] {
        case .ip4, .ip6: return (components[0].value, Int(port))
        case .dns(let h), .dns4(let h), .dns6(let h): return (h, Int(port))
        default: return nil
        }
    }
}

public enum MultiaddrError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case unknownProtocol(String)

    public var description: String {
        switch self {
        case .invalid(let why): return "invalid multiaddr: \(why)"
        case .unknownProtocol(let p): return "unsupported multiaddr protocol: \(p)"
        }
    }
}

extension Multiaddr.Component {
    /// `/ip4/<ip>` or `/ip6/<ip>` for an IP literal (IPv6 when it has a colon).
    public static func ip(_ literal: String) throws -> Multiaddr.Component {
        try Multiaddr.Component(name: literal.contains(":") ? "ip6" : "ip4", value: literal)
    }

    static let codes: [String: UInt64] = [
        "ip4": 4, "tcp": 6, "udp": 273, "dns": 53, "dns4": 54, "dns6": 55, "ip6": 41, "p2p": 421, "ipfs": 421,
        "ws": 477, "wss": 478, "tls": 448, "sni": 449, "quic-v1": 0x01cc,
    ]

    /// The components that carry no value (`/ws`, `/wss`, `/tls`, `/quic-v1`).
    init?(valueless name: String) {
        switch name {
        case "ws": self = .ws
        case "wss": self = .wss
        case "tls": self = .tls
        case "quic-v1": self = .quicV1
        default: return nil
        }
    }

    public init(name: String, value: String) throws {
        switch name {
        case "ip4":
            var addr = in_addr()
            guard inet_pton(AF_INET, value, &addr) == 1 else { throw MultiaddrError.invalid("bad IPv4 address \(value)") }
            self = .ip4(withUnsafeBytes(of: &addr) { Array($0) })
        case "ip6":
            var addr = in6_addr()
            guard inet_pton(AF_INET6, value, &addr) == 1 else { throw MultiaddrError.invalid("bad IPv6 address \(value)") }
            self = .ip6(withUnsafeBytes(of: &addr) { Array($0) })
        case "tcp", "udp":
            guard let port = UInt16(value) else { throw MultiaddrError.invalid("bad port \(value)") }
            self = name == "tcp" ? .tcp(port) : .udp(port)
        case "dns", "dns4", "dns6":
            guard !value.isEmpty, !value.contains("/") else { throw MultiaddrError.invalid("bad DNS name \(value)") }
            self = name == "dns" ? .dns(value) : name == "dns4" ? .dns4(value) : .dns6(value)
        case "p2p", "ipfs":
            self = .p2p(try PeerID(value))
        case "sni":
            guard !value.isEmpty, !value.contains("/") else { throw MultiaddrError.invalid("bad SNI name \(value)") }
            self = .sni(value)
        case "ws", "wss", "tls", "quic-v1":
            throw MultiaddrError.invalid("protocol /\(name) takes no value")
        default:
            throw MultiaddrError.unknownProtocol(name)
        }
    }

    static func decode(code: UInt64, from bytes: ArraySlice<UInt8>) throws -> (Multiaddr.Component, Int) {
        func fixed(_ n: Int) throws -> [UInt8] {
            guard bytes.count >= n else { throw MultiaddrError.invalid("truncated component") }
            return Array(bytes.prefix(n))
        }
        func lengthPrefixed() throws -> ([UInt8], Int) {
            guard case .value(let len, let n) = UVarint.decode(bytes), len <= 1024 else {
                throw MultiaddrError.invalid("bad component length")
            }
            guard bytes.count >= n + Int(len) else { throw MultiaddrError.invalid("truncated component") }
            return (Array(bytes.dropFirst(n).prefix(Int(len))), n + Int(len))
        }
        switch code {
        case 4: return (.ip4(try fixed(4)), 4)
        case 41: return (.ip6(try fixed(16)), 16)
        case 6, 273:
            let b = try fixed(2)
            let port = UInt16(b[0]) << 8 | UInt16(b[1])
            return (code == 6 ? .tcp(port) : .udp(port), 2)
        case 477: return (.ws, 0)
        case 478: return (.wss, 0)
        case 448: return (.tls, 0)
        case 0x01cc: return (.quicV1, 0)
        case 53, 54, 55, 449:
            let (b, used) = try lengthPrefixed()
            // A '/' would make the text form unparsable.
            guard let name = String(validating: b, as: UTF8.self), !name.isEmpty, !name.contains("/") else {
                throw MultiaddrError.invalid("bad DNS name")
            }
            switch code {
            case 53: return (.dns(name), used)
            case 54: return (.dns4(name), used)
            case 55: return (.dns6(name), used)
            default: return (.sni(name), used)
            }
        case 421:
            let (b, used) = try lengthPrefixed()
            return (.p2p(try PeerID(multihash: b)), used)
        default:
            throw MultiaddrError.unknownProtocol("code \(code)")
        }
    }

    var code: UInt64 {
        switch self {
        case .ip4: return 4
        case .ip6: return 41
        case .tcp: return 6
        case .udp: return 273
        case .dns: return 53
        case .dns4: return 54
        case .dns6: return 55
        case .p2p: return 421
        case .ws: return 477
        case .wss: return 478
        case .tls: return 448
        case .sni: return 449
        case .quicV1: return 0x01cc
        }
    }

    var encoded: [UInt8] {
        let head = UVarint.encode(code)
        switch self {
        case .ip4(let b), .ip6(let b): return head + b
        case .tcp(let p), .udp(let p): return head + [UInt8(p >> 8), UInt8(p & 0xFF)]
        case .dns(let s), .dns4(let s), .dns6(let s), .sni(let s):
            let b = Array(s.utf8)
            return head + UVarint.encode(b.count) + b
        case .p2p(let id): return head + UVarint.encode(id.multihash.count) + id.multihash
        case .ws, .wss, .tls, .quicV1: return head
        }
    }

    var name: String {
        switch self {
        case .ip4: return "ip4"
        case .ip6: return "ip6"
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .dns: return "dns"
        case .dns4: return "dns4"
        case .dns6: return "dns6"
        case .p2p: return "p2p"
        case .ws: return "ws"
        case .wss: return "wss"
        case .tls: return "tls"
        case .sni: return "sni"
        case .quicV1: return "quic-v1"
        }
    }

    /// The value's text form.
    public var value: String {
        switch self {
        case .ip4(var b), .ip6(var b):
            // The cases are public, so the byte count is checked before inet_ntop
            // reads a fixed 4 or 16 bytes from the array.
            let (family, size) = if case .ip4 = self { (AF_INET, 4) } else { (AF_INET6, 16) }
            guard b.count == size else { return "<invalid \(name): \(b.count) bytes>" }
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(family, &b, &out, socklen_t(out.count))
            return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .tcp(let p), .udp(let p): return String(p)
        case .dns(let s), .dns4(let s), .dns6(let s), .sni(let s): return s
        case .p2p(let id): return id.description
        case .ws, .wss, .tls, .quicV1: return ""
        }
    }

    var text: String {
        switch self {
        case .ws, .wss, .tls, .quicV1: return "/\(name)"
        default: return "/\(name)/\(value)"
        }
    }
}
