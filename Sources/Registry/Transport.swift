import LibP2PCore
import NIOCore

/// A transport plugin: turns multiaddrs into authenticated, multiplexed
/// connections (go's `transport.Transport`, whose `CapableConn` is the model).
///
/// There are two kinds, and every caller (host, runner, conformance kits) takes
/// both through this one contract:
///
/// - A **byte-stream transport** (`tcp`, `ws`) carries raw bytes; the
///   ``Upgrader`` secures and multiplexes them. It conforms to
///   ``ByteStreamTransport``, which supplies ``connect(to:upgrader:)`` and
///   ``listen(on:upgrader:)`` from its raw `dial` and `listen`.
/// - A **standalone transport** (`quic-v1`) brings its own security and streams:
///   ``isStandalone`` is true, the harnesses name no security or muxer for it, and
///   it uses only the upgrader's identity.
///
/// Rules every transport keeps (the conformance suites check them):
/// - ``listen(on:upgrader:)`` with port 0 binds a free port and reports the real
///   one in ``ConnectionListener/localAddresses``.
/// - ``ConnectionListener/accept()`` returns `nil` once the listener is closed, and
///   ``ConnectionListener/close()`` wakes every pending `accept()`.
/// - When the dialed address ends in `/p2p/<id>`, any other peer is refused.
/// - Handshake failures are thrown as ``UpgradeError`` (naming the phase);
///   failures to reach the peer as any other error, promptly.
public protocol Transport: Sendable {
    /// The env-var name (`transport=tcp`).
    var name: String { get }
    /// True when the transport secures and multiplexes its connections itself
    /// (`quic-v1`): no security or muxer is chosen for it.
    var isStandalone: Bool { get }
    /// True when this transport can dial `address` (e.g. `/ip4/…/tcp/…`).
    func canDial(_ address: Multiaddr) -> Bool
    /// The address to listen on at `ip` (an IPv4 or IPv6 literal) with a free port,
    /// in this transport's form: `/ip4/<ip>/tcp/0` for tcp, `…/tcp/0/ws` for ws,
    /// `/ip4/<ip>/udp/0/quic-v1` for quic-v1. Lets a caller that only knows an IP
    /// (the interop listener) listen on any transport. Throws when `ip` is not an
    /// IP literal.
    func listenAddress(ip: String) throws -> Multiaddr

    /// Dials `address` and returns the connection authenticated and multiplexed,
    /// with `upgrader`'s identity (and, for a byte-stream transport, its security
    /// and muxer choices).
    func connect(to address: Multiaddr, upgrader: Upgrader) async throws -> CapableConnection
    /// Listens on `address`; port 0 picks a free port, reported by `localAddresses`.
    /// Accepted connections are upgraded with `upgrader` when the caller asks
    /// (``AcceptedConnection/upgrade()``), so it can bound and time that step.
    func listen(on address: Multiaddr, upgrader: Upgrader) async throws -> any ConnectionListener

    /// Per-host setup done once when a host is built, before any connection (wss
    /// makes its client TLS context here, as go makes its `tls.Config`; quic-v1
    /// makes its certificate for `identity`), so that it never lands inside a
    /// measured dial, and is paid only by hosts that use this transport.
    /// Optional: the default does nothing.
    func prepare(identity: PrivateKey) throws

    /// Where the tasks that drive this transport's connections run best, if it
    /// matters (TCP: its socket thread, saving a thread switch per message). The
    /// runner prefers it with `withTaskExecutorPreference`. Optional: nil by default.
    var preferredTaskExecutor: (any TaskExecutor)? { get }
}

extension Transport {
    public var preferredTaskExecutor: (any TaskExecutor)? { nil }
    public func prepare(identity: PrivateKey) throws {}
}

/// What every transport hands over: an authenticated, multiplexed connection and
/// its two endpoints (go's `CapableConn`).
public struct CapableConnection: Sendable {
    public let upgraded: UpgradedConnection
    public let localAddress: Multiaddr
    /// The peer's address as seen from here.
    public let remoteAddress: Multiaddr

    public init(upgraded: UpgradedConnection, localAddress: Multiaddr, remoteAddress: Multiaddr) {
        self.upgraded = upgraded
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    public var remotePeer: PeerID { upgraded.remotePeer }
    public var session: any MuxedConnection { upgraded.session }
}

/// A listener of any transport.
public protocol ConnectionListener: Sendable {
    /// The addresses actually bound, with real ports.
    var localAddresses: [Multiaddr] { get }
    /// The next inbound connection, not yet upgraded; `nil` once the listener is closed.
    func accept() async throws -> (any AcceptedConnection)?
    /// Stops listening; pending and later `accept()` calls return `nil`.
    func close() async
}

/// An inbound connection as accepted, before the caller lets it upgrade. The
/// host holds these in a budget of their own (unauthenticated peers) and bounds
/// ``upgrade()`` with a deadline.
public protocol AcceptedConnection: Sendable {
    var localAddress: Multiaddr { get }
    var remoteAddress: Multiaddr { get }
    /// Secures and multiplexes the connection (for a standalone transport: waits
    /// for the handshake it runs itself). On failure the connection is closed.
    func upgrade() async throws -> CapableConnection
    /// Closes the connection, waking a pending ``upgrade()``.
    func close() async
}
