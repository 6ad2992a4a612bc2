import LibP2PCore
import LibP2PRegistry

/// quic-v1 under the registry's transport contract: a standalone transport. It uses
/// only the upgrader's identity (QUIC's own TLS 1.3 authenticates, QUIC's streams
/// multiplex) and hands back connections with no security or muxer ID.
extension QUICTransport: Transport {
    public var isStandalone: Bool { true }

    public func connect(to address: Multiaddr, upgrader: Upgrader) async throws -> CapableConnection {
        let connection: QUICConnection
        do {
            connection = try await dial(address, identity: upgrader.identity)
        } catch {
            throw Self.contractError(error)
        }
        return try connection.capable(localPeer: upgrader.localPeer)
    }

    public func listen(on address: Multiaddr, upgrader: Upgrader) async throws -> any ConnectionListener {
        QUICConnectionListener(listener: try await listen(address, identity: upgrader.identity), localPeer: upgrader.localPeer)
    }

    /// Handshake failures (the peer's certificate, its peer ID, ALPN, TLS alerts) are
    /// `UpgradeError`s of the security phase; an unreachable or refusing peer, a
    /// timeout, a bad address or a cancellation stay as they are.
    static func contractError(_ error: any Error) -> any Error {
        switch error {
        case QUICError.unreachable, QUICError.refused, QUICError.handshakeTimeout, QUICError.unsupportedAddress, QUICError.library,
            QUICError.idleTimeout, is CancellationError:
            return error
        default:
            return UpgradeError(phase: .security, underlying: error)
        }
    }
}

extension QUICConnection {
    /// The connection as the contract hands it over; it must have finished its handshake.
    func capable(localPeer: PeerID) throws -> CapableConnection {
        guard let remoteKey = remotePublicKey else { throw QUICError.connectionClosed }
        let upgraded = UpgradedConnection(
            localPeer: localPeer, remotePeer: remoteKey.peerID, remotePublicKey: remoteKey, securityID: nil,
            muxerID: nil, session: self)
        return CapableConnection(
            upgraded: upgraded, localAddress: try QUICAddress.multiaddr(localAddress),
            remoteAddress: try QUICAddress.multiaddr(remoteAddress))
    }
}

/// A `QUICListener` as a `ConnectionListener`. Its connections reach `accept()`
/// at their first Initial; `upgrade()` waits for the handshake QUIC runs itself.
struct QUICConnectionListener: ConnectionListener {
    let listener: QUICListener
    let localPeer: PeerID

    var localAddresses: [Multiaddr] { [listener.localMultiaddr] }

    func accept() async throws -> (any AcceptedConnection)? {
        guard let connection = try await listener.accept() else { return nil }
        return AcceptedQUICConnection(connection: connection, localPeer: localPeer)
    }

    func close() async { await listener.close() }
}

struct AcceptedQUICConnection: AcceptedConnection {
    let connection: QUICConnection
    let localPeer: PeerID

    var localAddress: Multiaddr { (try? QUICAddress.multiaddr(connection.localAddress)) ?? Multiaddr(components: []) }
    var remoteAddress: Multiaddr { (try? QUICAddress.multiaddr(connection.remoteAddress)) ?? Multiaddr(components: []) }

    func upgrade() async throws -> CapableConnection {
        do {
            try await connection.waitForHandshake()
            return try connection.capable(localPeer: localPeer)
        } catch {
            connection.closeNow()
            throw QUICTransport.contractError(error)
        }
    }

    func close() async { await connection.close() }
}
