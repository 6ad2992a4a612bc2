#if canImport(Glibc)
import Glibc
#endif
internal import CNGTCP2
import NIOCore

/// The two socket addresses of a connection, in memory that outlives every ngtcp2
/// call that reads them (ngtcp2 copies the path when a connection is made, but takes
/// a pointer on each packet read).
final class QUICPath {
    let local: SocketAddress
    let remote: SocketAddress
    private let localStorage = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 1)
    private let remoteStorage = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 1)
    private let localLength: socklen_t
    private let remoteLength: socklen_t

    init(local: SocketAddress, remote: SocketAddress) {
        self.local = local
        self.remote = remote
        localLength = Self.copy(local, into: localStorage)
        remoteLength = Self.copy(remote, into: remoteStorage)
    }

    deinit {
        localStorage.deallocate()
        remoteStorage.deallocate()
    }

    private static func copy(_ address: SocketAddress, into storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        storage.initialize(to: sockaddr_storage())
        return address.withSockAddr { pointer, length in
            UnsafeMutableRawPointer(storage).copyMemory(from: pointer, byteCount: length)
            return socklen_t(length)
        }
    }

    /// Runs `body` with the path as ngtcp2 wants it.
    func withPath<Result>(_ body: (UnsafePointer<ngtcp2_path>) throws -> Result) rethrows -> Result {
        try localStorage.withMemoryRebound(to: sockaddr.self, capacity: 1) { localAddress in
            try remoteStorage.withMemoryRebound(to: sockaddr.self, capacity: 1) { remoteAddress in
                var path = ngtcp2_path(
                    local: ngtcp2_addr(addr: localAddress, addrlen: localLength),
                    remote: ngtcp2_addr(addr: remoteAddress, addrlen: remoteLength),
                    user_data: nil)
                return try body(&path)
            }
        }
    }
}
