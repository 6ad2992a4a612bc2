import LibP2PCore
import LibP2PRegistry
import Logging
import NIOConcurrencyHelpers

/// Serves one negotiated inbound stream; the connection says who is asking.
public typealias StreamHandler = @Sendable (ProtocolStream, Connection) async throws -> Void

/// A libp2p host: transports, an upgrader (which holds the identity and the
/// security and muxer choices), and protocol handlers by protocol ID. It dials
/// and listens by multiaddr, drives every connection it makes or accepts (the
/// muxed session's `run()`, inbound streams, identify) inside structured
/// concurrency, and serves ping and identify as ordinary handlers. No Redis, no
/// env vars: the interop runner is one user of it.
///
/// ```swift
/// let upgrader = try Registry.builtin().upgrader(security: "noise", muxer: "yamux", identity: .generateEd25519())
/// let host = try Host(transport: TCPTransport(), upgrader: upgrader)
/// let rtt = try await host.withConnection(to: Multiaddr("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…")) { connection in
///     var pinger = try await Pinger.start(on: connection)
///     return try await pinger.ping()
/// }
/// ```
public final class Host: Sendable {
    public let transports: [any Transport]
    public let upgrader: Upgrader
    public let limits: ConnectionLimits
    /// When accepted connections ask their peer for identify.
    public let inboundIdentify: IdentifyStart
    let logger: Logger
    private let handlers = NIOLockedValueBox<[(id: String, handler: StreamHandler)]>([])
    private let listening = NIOLockedValueBox<[Multiaddr]>([])

    /// Builds the host and lets each transport and security plugin do its per-host
    /// setup now (TLS makes its certificate, wss its client context), so none of it
    /// lands in a handshake.
    public init(
        transports: [any Transport], upgrader: Upgrader, limits: ConnectionLimits = ConnectionLimits(),
        inboundIdentify: IdentifyStart = .afterFirstStream(orAfter: .milliseconds(500)),
        logger: Logger = Logger(label: "libp2p.host")
    ) throws {
        for transport in transports { try transport.prepare(identity: upgrader.identity) }
        try upgrader.prepare()
        self.transports = transports
        self.upgrader = upgrader
        self.limits = limits
        self.inboundIdentify = inboundIdentify
        var logger = logger
        logger[metadataKey: "peer"] = "\(upgrader.localPeer)"
        self.logger = logger
        handle(PingProtocol.id) { stream, _ in try await PingProtocol.serve(stream) }
        handle(IdentifyProtocol.id) { [weak self] stream, connection in
            guard let self else { return }
            let message = try IdentifyProtocol.message(
                publicKey: self.identity.publicKey, listenAddresses: self.listenAddresses,
                protocols: self.protocols, observed: connection.remoteAddress)
            try await IdentifyProtocol.respond(on: stream, message: message)
        }
    }

    public convenience init(
        transport: any Transport, upgrader: Upgrader, limits: ConnectionLimits = ConnectionLimits(),
        inboundIdentify: IdentifyStart = .afterFirstStream(orAfter: .milliseconds(500)),
        logger: Logger = Logger(label: "libp2p.host")
    ) throws {
        try self.init(
            transports: [transport], upgrader: upgrader, limits: limits, inboundIdentify: inboundIdentify, logger: logger)
    }

    /// The identity is the upgrader's: one key, bound once.
    public var identity: PrivateKey { upgrader.identity }
    public var peerID: PeerID { upgrader.localPeer }

    /// Serves `protocolID` on inbound streams with `handler`, replacing any
    /// handler it had (ping and identify are registered from the start).
    public func handle(_ protocolID: String, _ handler: @escaping StreamHandler) {
        handlers.withLockedValue { list in
            if let index = list.firstIndex(where: { $0.id == protocolID }) {
                list[index].handler = handler
            } else {
                list.append((protocolID, handler))
            }
        }
    }

    /// Stops serving `protocolID`: peers asking for it get `na`.
    public func removeHandler(_ protocolID: String) {
        handlers.withLockedValue { $0.removeAll { $0.id == protocolID } }
    }

    /// The protocols served, in registration order (what identify reports).
    public var protocols: [String] { handlers.withLockedValue { $0.map(\.id) } }

    func handler(for protocolID: String) -> StreamHandler? {
        handlers.withLockedValue { $0.first { $0.id == protocolID }?.handler }
    }

    /// The addresses this host listens on, as others can dial them.
    public var listenAddresses: [Multiaddr] { listening.withLockedValue { $0 } }

    func transport(for address: Multiaddr) throws -> any Transport {
        guard let transport = transports.first(where: { $0.canDial(address) }) else {
            throw HostError.unsupportedAddress(address)
        }
        return transport
    }

    // MARK: Dialing

    /// Dials `address` (with `/p2p/<id>`, the peer must be that one), upgrades,
    /// and runs `body` on the connection while the host drives it; closes the
    /// connection when `body` returns or throws.
    ///
    /// `identify: .manual` leaves asking the peer for identify to the body
    /// (`connection.identify()`), e.g. after a measurement.
    public func withConnection<T>(
        to address: Multiaddr, identify: IdentifyStart = .onConnect, _ body: (Connection) async throws -> T
    ) async throws -> T {
        let transport = try transport(for: address)
        return try await withTaskExecutorPreference(transport.preferredTaskExecutor) {
            let connection = try await connect(address, over: transport)
            return try await drive(connection, identify: identify, body)
        }
    }

    private func connect(_ address: Multiaddr, over transport: any Transport) async throws -> Connection {
        let clock = ContinuousClock()
        let start = clock.now
        let capable: CapableConnection
        do {
            capable = try await transport.connect(to: address, upgrader: upgrader)
        } catch let error as UpgradeError {
            throw HostError.upgradeFailed(error)
        } catch {
            throw HostError.connectFailed(address, underlying: error)
        }
        logger.debug(
            "connected",
            metadata: [
                "took": "\(clock.now - start)", "security": "\(capable.upgraded.securityID ?? "(transport)")",
                "muxer": "\(capable.upgraded.muxerID ?? "(transport)")",
            ])
        return Connection(direction: .outbound, capable, identifyTimeout: limits.identifyTimeout, logger: logger)
    }

    // MARK: Listening

    /// Listens on `address` (port 0 picks a free port). Serve with the listener's
    /// `run()`; stop with `close()` or by cancelling it.
    public func listen(on address: Multiaddr) async throws -> HostListener {
        let transport = try transport(for: address)
        let listener: any ConnectionListener
        do {
            listener = try await transport.listen(on: address, upgrader: upgrader)
        } catch {
            throw HostError.listenFailed(address, underlying: error)
        }
        let published = listener.localAddresses.map(InterfaceAddresses.publishable)
        listening.withLockedValue { $0 += published }
        return HostListener(host: self, transport: transport, listener: listener, addresses: published)
    }
}

/// When the host asks a connection's peer for identify.
public enum IdentifyStart: Sendable, Equatable {
    /// As soon as the connection is up (what go, rust and py do).
    case onConnect
    /// When the caller calls `Connection.identify()` (no task waits for it).
    case manual
    /// Once the peer's first stream has been served, or after the delay if it
    /// opens none sooner: the peer's first request (a dialer's measured ping)
    /// never shares the connection with identify traffic. Our listener's default.
    case afterFirstStream(orAfter: Duration)

    var afterFirstStream: Bool {
        if case .afterFirstStream = self { return true }
        return false
    }
}
