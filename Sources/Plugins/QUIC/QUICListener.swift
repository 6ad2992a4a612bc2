internal import CNGTCP2
import LibP2PCore
import NIOConcurrencyHelpers
import NIOCore

/// A quic-v1 listener: one UDP socket serving every connection to it. Datagrams are
/// routed by destination connection ID; an unknown ID on a well-formed client Initial
/// starts a connection, an unsupported version gets a Version Negotiation packet,
/// anything else is dropped without touching the other connections. A connection
/// reaches `accept()` as soon as its first Initial has arrived; its owner then waits
/// for the handshake (`QUICConnection.waitForHandshake()`), bounded by the
/// handshake timeout, and learns there whether the peer authenticated.
public final class QUICListener: Sendable {
    /// How many connections a listener takes before it refuses new ones.
    ///
    /// Both are checked when a client's first Initial arrives, before anything is
    /// answered: a connection past either is refused there and then with a
    /// CONNECTION_REFUSED (no state kept), so its dialer fails at once. Every new
    /// connection waits for `accept()` from its first Initial on, and the task that
    /// accepts shares the socket's event loop: a burst of Initials in one read is
    /// all started before it runs, so the backlog must hold a burst as large as the
    /// handshake budget (a backlog of 64 refused some of 100 simultaneous dials).
    public struct Budget: Sendable {
        /// Connections still in their handshake.
        public var maxHandshaking: Int
        /// New connections waiting for `accept()`.
        public var acceptBacklog: Int

        public init(maxHandshaking: Int = 256, acceptBacklog: Int = 256) {
            self.maxHandshaking = max(1, maxHandshaking)
            self.acceptBacklog = max(1, acceptBacklog)
        }
    }
    /// The length of every connection ID we issue: what short headers are parsed with.
    static let connectionIDLength = 16

    let channel: any Channel
    let localAddress: SocketAddress
    public let localMultiaddr: Multiaddr
    private let credentials: QUICCredentials
    private let limits: QUICEngine.Limits
    private let budget: Budget
    private let accepted: AsyncBoundedBuffer<QUICConnection>
    private let routes = NIOLockedValueBox<Routes>(Routes())

    struct Routes {
        var byID: [[UInt8]: QUICConnection] = [:]
        var handshaking = 0
        /// Admitted and not yet taken by `accept()` (a slot of the backlog each).
        var waiting = 0
        var closed = false
        var statistics = Statistics()
    }

    /// What the listener did with the Initials that reached it (so far).
    public struct Statistics: Sendable, Equatable {
        /// Connections started from a client's first Initial.
        public var started = 0
        /// Initials refused because `maxHandshaking` connections were in their handshake.
        public var refusedHandshaking = 0
        /// Initials refused because `acceptBacklog` connections were waiting for `accept()`.
        public var refusedBacklog = 0
        /// Connections that completed their handshake.
        public var established = 0
    }

    /// Counts so far.
    public var statistics: Statistics { routes.withLockedValue { $0.statistics } }

    private init(channel: any Channel, credentials: QUICCredentials, limits: QUICEngine.Limits, budget: Budget) throws {
        self.channel = channel
        guard let local = channel.localAddress else { throw QUICError.library("the UDP socket has no local address") }
        localAddress = local
        localMultiaddr = try QUICAddress.multiaddr(local)
        self.credentials = credentials
        self.limits = limits
        self.budget = budget
        accepted = AsyncBoundedBuffer(capacity: budget.acceptBacklog)
    }

    static func bind(
        _ address: SocketAddress, on eventLoop: any EventLoop, credentials: QUICCredentials, limits: QUICEngine.Limits,
        budget: Budget
    ) async throws -> QUICListener {
        let box = NIOLockedValueBox<QUICListener?>(nil)
        let channel = try await QUICSocket.bind(to: address, on: eventLoop) { batch in
            box.withLockedValue { $0 }?.dispatch(batch)
        }
        do {
            let listener = try QUICListener(channel: channel, credentials: credentials, limits: limits, budget: budget)
            box.withLockedValue { $0 = listener }
            return listener
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// The next new connection, perhaps still in its handshake; nil once the
    /// listener is closed.
    public func accept() async throws -> QUICConnection? {
        guard let connection = try await accepted.next() else { return nil }
        routes.withLockedValue { $0.waiting -= 1 }
        return connection
    }

    /// Stops listening: closes the socket (and with it every connection on it).
    public func close() async {
        let open = routes.withLockedValue { routes -> [QUICConnection] in
            routes.closed = true
            var seen = Set<ObjectIdentifier>()
            return routes.byID.values.filter { seen.insert(ObjectIdentifier($0)).inserted }
        }
        accepted.finish()
        for connection in open { connection.closeNow() }
        while let waiting = accepted.poll() { waiting.closeNow() }
        try? await channel.close()
    }

    // MARK: Routing (on the event loop)

    /// Routes one read's datagrams; each connection gets its share in one call.
    private func dispatch(_ batch: [AddressedEnvelope<ByteBuffer>]) {
        var groups: [(connection: QUICConnection, datagrams: [ByteBuffer])] = []
        for envelope in batch {
            guard let connection = route(envelope) else { continue }
            if let index = groups.firstIndex(where: { $0.connection === connection }) {
                groups[index].datagrams.append(envelope.data)
            } else {
                groups.append((connection, [envelope.data]))
            }
        }
        for group in groups { group.connection.receive(group.datagrams) }
    }

    /// The connection a datagram is for; nil when it was handled here (a new
    /// connection, version negotiation) or dropped.
    private func route(_ envelope: AddressedEnvelope<ByteBuffer>) -> QUICConnection? {
        let datagram = envelope.data
        var version = ngtcp2_version_cid()
        let status = datagram.withUnsafeReadableBytes { bytes in
            ngtcp2_pkt_decode_version_cid(
                &version, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, Self.connectionIDLength)
        }
        if status == NGTCP2_ERR_VERSION_NEGOTIATION {
            sendVersionNegotiation(version, to: envelope.remoteAddress)
            return nil
        }
        guard status == 0, version.dcidlen <= 20, let dcidPointer = version.dcid else { return nil }  // garbage: dropped
        let dcid = Array(UnsafeBufferPointer(start: dcidPointer, count: version.dcidlen))
        if let connection = routes.withLockedValue({ $0.byID[dcid] }) { return connection }
        startConnection(datagram, from: envelope.remoteAddress)
        return nil
    }

    /// A new connection for a valid client Initial; anything else is dropped.
    private func startConnection(_ datagram: ByteBuffer, from remote: SocketAddress) {
        var header = ngtcp2_pkt_hd()
        let valid = datagram.withUnsafeReadableBytes { bytes in
            ngtcp2_accept(&header, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count) == 0
        }
        guard valid else { return }
        let budget = self.budget
        let refusal = routes.withLockedValue { routes -> String? in
            guard !routes.closed else { return "the listener is closed" }
            guard routes.handshaking < budget.maxHandshaking else {
                routes.statistics.refusedHandshaking += 1
                return "\(budget.maxHandshaking) connections in their handshake"
            }
            guard routes.waiting < budget.acceptBacklog else {
                routes.statistics.refusedBacklog += 1
                return "\(budget.acceptBacklog) connections waiting for accept()"
            }
            routes.handshaking += 1
            routes.waiting += 1
            routes.statistics.started += 1
            return nil
        }
        if let refusal {
            QUICDebug.log("refused a connection from \(remote): \(refusal)")
            refuse(header, to: remote)
            return
        }
        let routes = self.routes
        let registered = NIOLockedValueBox<[[UInt8]]>([])
        let path = QUICPath(local: localAddress, remote: remote)
        let connectionBox = NIOLockedValueBox<QUICConnection?>(nil)
        let made: (engine: QUICEngine, sourceCID: [UInt8])
        do {
            made = try QUICEngine.server(
                path: path, header: header, credentials: credentials, limits: limits, now: QUICClock.now,
                onNewConnectionID: { id in
                    registered.withLockedValue { $0.append(id) }
                    if let connection = connectionBox.withLockedValue({ $0 }) {
                        routes.withLockedValue { $0.byID[id] = connection }
                    }
                },
                onRetiredConnectionID: { id in
                    _ = routes.withLockedValue { $0.byID.removeValue(forKey: id) }
                })
        } catch {
            self.routes.withLockedValue { routes in
                routes.handshaking -= 1
                routes.waiting -= 1
            }
            return
        }
        let handshakeDone = NIOLockedValueBox(false)
        let connection = QUICConnection(
            engine: made.engine, channel: channel, localAddress: localAddress, remoteAddress: remote,
            onEstablished: { _ in
                handshakeDone.withLockedValue { $0 = true }
                routes.withLockedValue { routes in
                    routes.handshaking -= 1
                    routes.statistics.established += 1
                }
            },
            onEnd: {
                // The engine's connection-ID callbacks hold this box, and the box the
                // connection (which holds the engine): let go, or every connection leaks.
                connectionBox.withLockedValue { $0 = nil }
                let ids = registered.withLockedValue { $0 }
                let wasHandshaking = !handshakeDone.withLockedValue { $0 }
                routes.withLockedValue { routes in
                    for id in ids { routes.byID.removeValue(forKey: id) }
                    if wasHandshaking { routes.handshaking -= 1 }
                }
            })
        connectionBox.withLockedValue { $0 = connection }
        let initialIDs = [Self.bytes(header.dcid), made.sourceCID] + registered.withLockedValue { $0 }
        registered.withLockedValue { $0 = initialIDs }
        routes.withLockedValue { routes in
            for id in initialIDs { routes.byID[id] = connection }
        }
        QUICDebug.log("server connection \(localAddress) ⇄ \(remote) starts")
        connection.receive([datagram])
        QUICDebug.log("server connection \(localAddress) ⇄ \(remote) answered its first Initial")
        // Only a connection whose first Initial ngtcp2 took goes to accept(). Its
        // slot was reserved above, on this event loop, the only place offering: the
        // offer fails only once the listener is closed.
        guard !connection.hasEnded, accepted.offer(connection) == .accepted else {
            routes.withLockedValue { $0.waiting -= 1 }
            connection.closeNow()
            return
        }
    }

    /// Answers a client's first Initial with a CONNECTION_CLOSE (CONNECTION_REFUSED),
    /// keeping no state: the dialer learns at once that it is turned away.
    private func refuse(_ header: ngtcp2_pkt_hd, to remote: SocketAddress) {
        var header = header
        var packet = channel.allocator.buffer(capacity: 256)
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: 256) { space in
            // Addressed to the client's source ID; keys from the ID it chose for us.
            max(0, Int(ngtcp2_crypto_write_connection_close(
                space.bindMemory(to: UInt8.self).baseAddress, space.count, header.version, &header.scid, &header.dcid,
                UInt64(NGTCP2_CONNECTION_REFUSED), nil, 0)))
        }
        guard packet.readableBytes > 0 else { return }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: packet), promise: nil)
    }

    private func sendVersionNegotiation(_ version: ngtcp2_version_cid, to remote: SocketAddress) {
        guard let dcid = version.dcid, let scid = version.scid else { return }
        var supported: [UInt32] = [shim_NGTCP2_PROTO_VER_V1()]
        var packet = channel.allocator.buffer(capacity: 256)
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: 256) { space in
            // The client's source ID becomes our destination ID and vice versa.
            max(0, Int(ngtcp2_pkt_write_version_negotiation(
                space.bindMemory(to: UInt8.self).baseAddress, space.count, UInt8.random(in: 0...255),
                scid, version.scidlen, dcid, version.dcidlen, &supported, supported.count)))
        }
        guard packet.readableBytes > 0 else { return }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: packet), promise: nil)
    }

    static func bytes(_ cid: ngtcp2_cid) -> [UInt8] { QUICEngine.bytes(of: cid) }
}
