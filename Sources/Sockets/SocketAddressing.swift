#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore
import NIOCore
import NIOPosix

/// Where a TCP multiaddr points: an IP socket address, or a DNS name to resolve.
package enum TCPEndpoint: Equatable {
    case ip(SocketAddress)
    case dns(name: String, port: Int, family: AddressFamily)

    package enum AddressFamily: Equatable {
        case any, ipv4, ipv6
    }

    /// Reads `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, optionally followed by
    /// `/p2p/<id>` when `allowPeerID` is set (dialing); `nil` for any other shape.
    package init?(_ address: Multiaddr, allowPeerID: Bool) {
        let components = address.components
        guard components.count == 2 || (allowPeerID && components.count == 3) else { return nil }
        if components.count == 3 {
            guard case .p2p = components[2] else { return nil }
        }
        guard case .tcp(let port) = components[1] else { return nil }
        switch components[0] {
        case .ip4(let bytes):
            guard bytes.count == 4 else { return nil }
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            self = .ip(SocketAddress(sin, host: components[0].value))
        case .ip6(let bytes):
            guard bytes.count == 16 else { return nil }
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            self = .ip(SocketAddress(sin6, host: components[0].value))
        case .dns(let name): self = .dns(name: name, port: Int(port), family: .any)
        case .dns4(let name): self = .dns(name: name, port: Int(port), family: .ipv4)
        case .dns6(let name): self = .dns(name: name, port: Int(port), family: .ipv6)
        default: return nil
        }
    }

    /// The socket addresses to try, in order. DNS names are resolved with
    /// `getaddrinfo`, which blocks: it runs on NIO's thread pool, off the
    /// cooperative pool and off the event loops.
    package func socketAddresses(for address: Multiaddr) async throws -> [SocketAddress] {
        switch self {
        case .ip(let socketAddress):
            return [socketAddress]
        case .dns(let name, let port, let family):
            let result = try await NIOThreadPool.singleton.runIfActive {
                Result { try Self.resolve(name, port: port, family: family) }
            }
            switch result {
            case .success(let addresses): return addresses
            case .failure(let reason): throw TCPError.cannotResolve(address.description, reason: "\(reason)")
            }
        }
    }

    private struct ResolveFailure: Error, CustomStringConvertible {
        let description: String
    }

    private static func resolve(_ name: String, port: Int, family: AddressFamily) throws -> [SocketAddress] {
        var hints = addrinfo()
        switch family {
        case .any: hints.ai_family = AF_UNSPEC
        case .ipv4: hints.ai_family = AF_INET
        case .ipv6: hints.ai_family = AF_INET6
        }
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &list)
        guard rc == 0 else { throw ResolveFailure(description: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }

        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let raw = info.ai_addr else { continue }
            switch info.ai_family {
            case AF_INET:
                var sin = UnsafeRawPointer(raw).load(as: sockaddr_in.self)
                sin.sin_port = UInt16(port).bigEndian
                addresses.append(SocketAddress(sin, host: name))
            case AF_INET6:
                var sin6 = UnsafeRawPointer(raw).load(as: sockaddr_in6.self)
                sin6.sin6_port = UInt16(port).bigEndian
                addresses.append(SocketAddress(sin6, host: name))
            default:
                continue
            }
        }
        guard !addresses.isEmpty else { throw ResolveFailure(description: "no address found") }
        return addresses
    }
}

extension Multiaddr {
    /// `/ip4/…/tcp/…` or `/ip6/…/tcp/…` for an IP socket address; an IPv4 peer seen
    /// through a dual-stack IPv6 socket (`::ffff:a.b.c.d`) is reported as `/ip4`.
    package init?(tcpSocketAddress address: SocketAddress) {
        switch address {
        case .v4(let v4):
            var sin = v4.address
            let bytes = withUnsafeBytes(of: &sin.sin_addr) { Array($0) }
            self.init(components: [.ip4(bytes), .tcp(UInt16(bigEndian: sin.sin_port))])
        case .v6(let v6):
            var sin6 = v6.address
            let bytes = withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
            let port = Multiaddr.Component.tcp(UInt16(bigEndian: sin6.sin6_port))
            let v4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            if bytes.prefix(12).elementsEqual(v4MappedPrefix) {
                self.init(components: [.ip4(Array(bytes.suffix(4))), port])
            } else {
                self.init(components: [.ip6(bytes), port])
            }
        default:
            return nil
        }
    }
}
