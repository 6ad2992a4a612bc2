import LibP2PCore
import NIOCore

/// A transport plugin: turns multiaddrs into raw byte streams (`tcp`).
///
/// Every transport keeps these rules, which `TransportConformance` checks:
///
/// - ``listen(_:)`` with port 0 binds a free port and reports the real one in
///   ``Listener/localAddresses``.
/// - ``Listener/accept()`` returns `nil` once the listener is closed, and
///   ``Listener/close()`` wakes every pending `accept()`.
/// - A ``RawConnection``'s `localAddress` and `remoteAddress` mirror the peer's.
/// - Dialing an address nobody listens on fails promptly.
/// - Connections keep the `ByteStream` rules (backpressure, half-close, prompt
///   `close()`).
public protocol Transport: Sendable {
    /// The env-var name (`transport=tcp`).
    var name: String { get }
    /// True when this transport can dial `address` (e.g. `/ip4/…/tcp/…`).
    func canDial(_ address: Multiaddr) -> Bool
    /// Opens a raw connection. Throws when the peer cannot be reached.
    func dial(_ address: Multiaddr) async throws -> any RawConnection
    /// Listens on `address`; port 0 picks a free port, reported by `localAddresses`.
    func listen(_ address: Multiaddr) async throws -> any Listener
    /// The address to listen on at `ip` (an IPv4 or IPv6 literal) with a free port,
    /// in this transport's form: `/ip4/<ip>/tcp/0` for tcp, `…/tcp/0/ws` for ws.
    /// Lets a caller that only knows an IP (the interop listener) listen on any
    /// transport. Throws when `ip` is not an IP literal.
    func listenAddress(ip: String) throws -> Multiaddr

    /// Per-host setup done once when a host is built, before any connection (wss
    /// makes its client TLS context here, as go makes its `tls.Config`), so that it
    /// never lands inside a measured dial, and is paid only by hosts that use this
    /// transport. Optional: the default does nothing.
    func prepare() throws

    /// Where the tasks that drive this transport's connections run best, if it
    /// matters (TCP: its socket thread, saving a thread switch per message). The
    /// runner prefers it with `withTaskExecutorPreference`. Optional: nil by default.
    var preferredTaskExecutor: (any TaskExecutor)? { get }
}

extension Transport {
    public var preferredTaskExecutor: (any TaskExecutor)? { nil }
    public func prepare() throws {}
}

/// A transport-level connection: a byte stream with its two endpoints.
public protocol RawConnection: ByteStream {
    var localAddress: Multiaddr { get }
    var remoteAddress: Multiaddr { get }
}

/// A listening socket.
public protocol Listener: Sendable {
    /// The addresses actually bound, with real ports.
    var localAddresses: [Multiaddr] { get }
    /// The next inbound connection; `nil` once the listener is closed.
    func accept() async throws -> (any RawConnection)?
    /// Stops listening; pending and later `accept()` calls return `nil`.
    func close() async
}
