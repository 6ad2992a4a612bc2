import LibP2PCore
import LibP2PRegistry
import LibP2PSockets
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The quic-v1 transport (`transport=quic-v1`): QUIC version 1 (RFC 9000) with the
/// TLS 1.3 of libp2p inside (specs `quic/README.md`, `tls/tls.md`), on ngtcp2 and
/// GnuTLS. It secures and multiplexes its connections itself: a dial or an accept
/// gives an authenticated `QUICConnection` whose streams are QUIC streams, with no
/// multistream round for security or muxer.
///
/// Addresses are `/ip4|ip6/<ip>/udp/<port>/quic-v1`, and a dial names the peer it
/// expects (`/p2p/<id>`): the certificate must authenticate exactly that peer.
public struct QUICTransport: Sendable {
    public var name: String { "quic-v1" }

    /// Limits, windows and timeouts of every connection (see `QUICEngine.Limits`).
    let limits: QUICEngine.Limits
    /// How many connections each listener takes before refusing (tests make it small).
    var listenerBudget = QUICListener.Budget()
    /// The event loop every socket of this transport runs on, and the executor that
    /// runs tasks there (as for TCP: no thread switch between socket and task).
    private let executor: EventLoopTaskExecutor
    private let credentials = QUICCredentialsCache()

    public init(idleTimeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(10)) {
        var limits = QUICEngine.Limits()
        limits.idleTimeout = idleTimeout
        limits.handshakeTimeout = handshakeTimeout
        self.init(limits: limits)
    }

    init(limits: QUICEngine.Limits) {
        self.limits = limits
        executor = EventLoopTaskExecutor.next()
    }

    public var preferredTaskExecutor: (any TaskExecutor)? { executor }

    /// True for `/ip4|ip6/<ip>/udp/<port>/quic-v1`, optionally followed by `/p2p/<id>`.
    public func canDial(_ address: Multiaddr) -> Bool {
        QUICAddress(address) != nil
    }

    /// `/ip4|ip6/<ip>/udp/0/quic-v1`.
    public func listenAddress(ip: String) throws -> Multiaddr {
        Multiaddr(components: [try .ip(ip), .udp(0), .quicV1])
    }

    /// Makes the host's certificate and its GnuTLS credentials ahead of the first handshake.
    public func prepare(identity: PrivateKey) throws {
        _ = try credentials.credentials(for: identity)
    }

    /// Dials `address` and completes the handshake: the connection returned is
    /// authenticated (by exactly the peer of `/p2p/<id>`, when the address names one)
    /// and ready for streams.
    public func dial(_ address: Multiaddr, identity: PrivateKey) async throws -> QUICConnection {
        guard QUICAddress(address) != nil else { throw QUICError.unsupportedAddress(address.description) }
        return try await dial(address, credentials: try credentials.credentials(for: identity))
    }

    /// Dials presenting `credentials` (tests present certificates of their own).
    func dial(_ address: Multiaddr, credentials: QUICCredentials) async throws -> QUICConnection {
        guard let target = QUICAddress(address) else { throw QUICError.unsupportedAddress(address.description) }
        let peer = target.peer
        let remote = try target.socketAddress()
        QUICDebug.log("dialing \(remote)")
        let box = NIOLockedValueBox<QUICConnection?>(nil)
        let channel = try await QUICSocket.connect(
            to: remote, on: executor.eventLoop,
            deliver: { batch in box.withLockedValue { $0 }?.receive(batch.map(\.data)) },
            onError: { error in
                box.withLockedValue { $0 }?.abort(QUICError.unreachable("\(address.removingPeerID()): \(error)"))
            })
        let connection: QUICConnection
        do {
            guard let local = channel.localAddress else { throw QUICError.library("the UDP socket has no local address") }
            let engine = try QUICEngine.client(
                path: QUICPath(local: local, remote: remote), expecting: peer, credentials: credentials,
                limits: limits, now: QUICClock.now)
            connection = QUICConnection(engine: engine, channel: channel, localAddress: local, remoteAddress: remote) {
                channel.close(promise: nil)
            }
        } catch {
            try? await channel.close()
            throw error
        }
        box.withLockedValue { $0 = connection }
        QUICDebug.log("client connection \(connection.localAddress) ⇄ \(remote) sends its Initial")
        connection.perform { _ in }  // the client's Initial
        do {
            try await connection.waitForHandshake()
        } catch {
            connection.closeNow()
            throw error
        }
        return connection
    }

    /// Listens on `address` (`/ip4|ip6/<ip>/udp/<port>/quic-v1`; port 0 picks a free
    /// port, which `localMultiaddr` reports).
    public func listen(_ address: Multiaddr, identity: PrivateKey) async throws -> QUICListener {
        try await listen(address, credentials: try credentials.credentials(for: identity))
    }

    /// Listens presenting `credentials` (tests present certificates of their own).
    func listen(_ address: Multiaddr, credentials: QUICCredentials) async throws -> QUICListener {
        guard let target = QUICAddress(address, allowPeerID: false) else {
            throw QUICError.unsupportedAddress(address.description)
        }
        return try await QUICListener.bind(
            try target.socketAddress(), on: executor.eventLoop, credentials: credentials, limits: limits,
            budget: listenerBudget)
    }
}
