#if canImport(Glibc)
import Glibc
#endif
import LibP2PCore
import LibP2PRegistry
import NIOCore

extension TransportConformance {
    /// Peers that connect over TCP, send bytes that are no handshake (none, a few,
    /// 64 KiB) and vanish must cost the listener nothing: an honest dial right after
    /// them is accepted and carries data. A transport with a handshake never hands
    /// such peers to `accept()`; one without (plain TCP) may, and the check closes
    /// them. A transport not over TCP (no `/tcp/` in its address) gets the honest
    /// dial only.
    func checkAbandonedConnections(_ context: CheckContext) async throws {
        try await withListener(context) { listener, connections in
            guard let address = listener.localAddresses.first else {
                throw context.failure("the listener reports no local addresses")
            }
            let junk: [[UInt8]] = [[], Array("\u{0}\u{1}not a handshake\r\n\r\n".utf8), [UInt8](repeating: 0x41, count: 64 * 1024)]
            var abandoned = 0
            if let port = Self.loopbackTCPPort(address) {
                for bytes in junk where RawTCP.connectSendAndClose(port: port, bytes) { abandoned += 1 }
            }
            let transport = self.transport
            let dialer = try await context.step("dial(\(address)) after \(abandoned) abandoned connections") {
                try await transport.dial(address)
            }
            connections.add(dialer)
            // The honest connection is the one whose remote end is our dialer.
            var acceptor: (any RawConnection)?
            for _ in 0...abandoned {
                guard let next = try await context.step("accept()", { try await listener.accept() }) else {
                    throw context.failure("accept() returned nil while a dial to \(address) succeeded")
                }
                if next.remoteAddress == dialer.localAddress {
                    acceptor = next
                    break
                }
                await next.close()
            }
            guard let acceptor else {
                throw context.failure("accept() never returned the honest dial among \(abandoned + 1) connections")
            }
            connections.add(acceptor)
            try await context.step("a byte each way over the honest connection") {
                try await dialer.write([7])
                try context.require(try await readExactly(1, from: acceptor) == [7], "the accepted connection carried other bytes")
                try await acceptor.write([8])
                try context.require(try await readExactly(1, from: dialer) == [8], "the dialer read other bytes")
            }
        }
    }

    /// The TCP port of an `/ip4/127.0.0.1/tcp/<port>…` address, if it is one.
    static func loopbackTCPPort(_ address: Multiaddr) -> UInt16? {
        let parts = address.description.split(separator: "/")
        guard parts.count >= 4, parts[0] == "ip4", parts[1] == "127.0.0.1", parts[2] == "tcp" else { return nil }
        return UInt16(parts[3])
    }
}

/// A plain blocking TCP client for one shot: connect to 127.0.0.1, send, close.
/// Loopback makes every call immediate; a send timeout bounds a peer that stops
/// reading.
enum RawTCP {
    static func connectSendAndClose(port: UInt16, _ bytes: [UInt8]) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        // The listener may refuse and close before taking it all; that is its right.
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return true
        #else
        return false
        #endif
    }
}
