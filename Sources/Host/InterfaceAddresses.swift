#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore

/// The address a listener publishes. A wildcard bind (`0.0.0.0`, `::`) is replaced
/// by a real interface address of the same family, since a dialer in another
/// container cannot reach `0.0.0.0`; loopback only when nothing else exists.
enum InterfaceAddresses {
    static func publishable(_ bound: Multiaddr) -> Multiaddr {
        guard let first = bound.components.first else { return bound }
        let replacement: Multiaddr.Component?
        switch first {
        case .ip4(let bytes) where bytes == [0, 0, 0, 0]:
            replacement = best(family: AF_INET).map { .ip4($0) } ?? .ip4([127, 0, 0, 1])
        case .ip6(let bytes) where bytes.allSatisfy({ $0 == 0 }):
            replacement = best(family: AF_INET6).map { .ip6($0) } ?? .ip6([UInt8](repeating: 0, count: 15) + [1])
        default:
            replacement = nil
        }
        guard let replacement else { return bound }
        return Multiaddr(components: [replacement] + bound.components.dropFirst())
    }

    /// The first up, non-loopback address of `family` (IPv6: not link-local).
    static func best(family: Int32) -> [UInt8]? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let head = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            guard let sa = entry.pointee.ifa_addr, Int32(sa.pointee.sa_family) == family,
                flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0
            else { continue }
            if family == AF_INET {
                let bytes = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) }
                }
                return bytes
            } else {
                let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                }
                if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { continue }  // link-local
                return bytes
            }
        }
        return nil
    }
}
