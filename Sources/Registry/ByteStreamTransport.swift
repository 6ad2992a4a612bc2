import LibP2PCore
import NIOCore

/// A transport that carries raw bytes (`tcp`, `ws`): it dials and listens, and the
/// ``Upgrader`` runs security and muxer over its connections. It writes only
/// ``dial(_:)`` and ``listen(_:)``; this extension makes it a ``Transport``.
///
/// Its raw connections keep these rules, which `TransportConformance` checks:
/// - ``listen(_:)`` with port 0 binds a free port and reports the real one in
///   ``Listener/localAddresses``.
/// - ``Listener/accept()`` returns `nil` once the listener is closed, and
///   ``Listener/close()`` wakes every pending `accept()`.
/// - A ``RawConnection``'s `localAddress` and `remoteAddress` mirror the peer's.
/// - Dialing an address nobody listens on fails promptly.
/// - Connections keep the `ByteStream` rules (backpressure, half-close, prompt
///   `close()`).
public protocol ByteStreamTransport: Transport {
    /// Opens a raw connection. Throws when the peer cannot be reached.
    func dial(_ address: Multiaddr) async throws -> any RawConnection
    /// Listens on `address`; port 0 picks a free port, reported by `localAddresses`.
    func listen(_ address: Multiaddr) async throws -> any Listener
}

extension ByteStreamTransport {
    public var isStandalone: Bool { false }

    /// Dials, then upgrades outbound, expecting the address's `/p2p/` peer if it
    /// has one. Upgrade failures are ``UpgradeError``s; dial failures pass as they are.
    public func connect(to address: Multiaddr, upgrader: Upgrader) async throws -> CapableConnection {
        let raw = try await dial(address)
        let upgraded = try await upgrader.upgradeOutbound(raw, expecting: address.peerID)
        return CapableConnection(upgraded: upgraded, localAddress: raw.localAddress, remoteAddress: raw.remoteAddress)
    }

    public func listen(on address: Multiaddr, upgrader: Upgrader) async throws -> any ConnectionListener {
        UpgradingListener(raw: try await listen(address), upgrader: upgrader)
    }
}

/// A raw listener whose connections upgrade inbound when asked.
struct UpgradingListener: ConnectionListener {
    let raw: any Listener
    let upgrader: Upgrader

    var localAddresses: [Multiaddr] { raw.localAddresses }

    func accept() async throws -> (any AcceptedConnection)? {
        guard let connection = try await raw.accept() else { return nil }
        return AcceptedRawConnection(raw: connection, upgrader: upgrader)
    }

    func close() async { await raw.close() }
}

struct AcceptedRawConnection: AcceptedConnection {
    let raw: any RawConnection
    let upgrader: Upgrader

    var localAddress: Multiaddr { raw.localAddress }
    var remoteAddress: Multiaddr { raw.remoteAddress }

    func upgrade() async throws -> CapableConnection {
        let upgraded = try await upgrader.upgradeInbound(raw)
        return CapableConnection(upgraded: upgraded, localAddress: raw.localAddress, remoteAddress: raw.remoteAddress)
    }

    func close() async { await raw.close() }
}

/// A transport-level connection: a byte stream with its two endpoints.
public protocol RawConnection: ByteStream {
    var localAddress: Multiaddr { get }
    var remoteAddress: Multiaddr { get }
}

/// A byte-stream transport's listening socket.
public protocol Listener: Sendable {
    /// The addresses actually bound, with real ports.
    var localAddresses: [Multiaddr] { get }
    /// The next inbound connection; `nil` once the listener is closed.
    func accept() async throws -> (any RawConnection)?
    /// Stops listening; pending and later `accept()` calls return `nil`.
    func close() async
}
