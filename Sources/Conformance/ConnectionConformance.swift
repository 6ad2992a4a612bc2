import LibP2PCore
import LibP2PRegistry

/// The connection-level transport suite: what every `Transport` must do through
/// `connect(to:upgrader:)` and `listen(on:upgrader:)`, whether it carries raw bytes
/// (tcp, ws: given the security and muxer to upgrade with) or secures and
/// multiplexes itself (quic-v1: given nothing). Two hosts of their own identities
/// meet over real sockets on the loopback address the test gives with port 0.
///
/// `TransportConformance` checks a byte-stream transport's raw connections; this
/// suite checks the authenticated connections every transport hands the host.
///
/// ```swift
/// @Test(arguments: ConnectionConformance.Check.allCases)
/// func connections(_ check: ConnectionConformance.Check) async throws {
///     try await ConnectionConformance(QUICTransport(), listenOn: "/ip4/127.0.0.1/udp/0/quic-v1").run(check)
/// }
/// ```
public struct ConnectionConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Listening on port 0 reports real, dialable addresses; two listeners differ.
        case listenAddresses
        /// A connection is authenticated both ways (each side sees the other's peer
        /// ID and key), its addresses mirror each other, and a stream carries data
        /// both ways.
        case connectAndAccept
        /// Dialing the listener's address with another peer's `/p2p/` ID fails as an
        /// `UpgradeError` of the security phase, promptly; the listener keeps serving.
        case wrongPeerRefused
        /// Closing the listener makes pending and later `accept()` calls return nil.
        case listenerCloseWakesAccept
        /// Connecting to an address nobody listens on fails promptly.
        case dialRefused
        /// Closing a connection's session on one side ends the other side's
        /// `run()`, pending `acceptStream()` and reads promptly; each side closing.
        case closeEndsThePeersSession
        /// `Limits.concurrentConnections` connections at once, each carrying a stream.
        case concurrentConnections

        public var description: String { rawValue }
    }

    public struct Limits: Sendable {
        /// The whole check in one role.
        public var timeout: Duration = .seconds(30)
        /// How soon pending operations must end after a close or a refusal.
        public var promptness: Duration = .seconds(5)
        public var concurrentConnections = 16

        public init() {}
    }

    public let transport: any Transport
    public let listenAddress: Multiaddr
    public let securities: [any SecurityProtocol]
    public let muxers: [any MuxerProtocol]
    public let limits: Limits

    /// `listenAddress` is a loopback address with port 0. A byte-stream transport
    /// is given the security and muxer to upgrade with; a standalone one nothing.
    public init(
        _ transport: any Transport, listenOn listenAddress: Multiaddr, securities: [any SecurityProtocol] = [],
        muxers: [any MuxerProtocol] = [], limits: Limits = Limits()
    ) {
        self.transport = transport
        self.listenAddress = listenAddress
        self.securities = securities
        self.muxers = muxers
        self.limits = limits
    }

    /// The same, parsing the address; an unparsable one traps (it is test input).
    public init(
        _ transport: any Transport, listenOn text: String, securities: [any SecurityProtocol] = [],
        muxers: [any MuxerProtocol] = [], limits: Limits = Limits()
    ) {
        do {
            self.init(transport, listenOn: try Multiaddr(text), securities: securities, muxers: muxers, limits: limits)
        } catch {
            preconditionFailure("ConnectionConformance: bad listen address \(text): \(error)")
        }
    }

    var suiteName: String { "ConnectionConformance(\(transport.name))" }

    /// Runs one check; throws the first `ConformanceFailure`.
    public func run(_ check: Check) async throws {
        switch check {
        case .closeEndsThePeersSession:
            for closer in [MuxerRole.initiator, .responder] {
                try await checkCloseEndsThePeersSession(closer: closer, context(check, "the \(closer == .initiator ? "dialer" : "listener") closes"))
            }
        case .listenAddresses: try await checkListenAddresses(context(check))
        case .connectAndAccept: try await checkConnectAndAccept(context(check))
        case .wrongPeerRefused: try await checkWrongPeerRefused(context(check))
        case .listenerCloseWakesAccept: try await checkListenerCloseWakesAccept(context(check))
        case .dialRefused: try await checkDialRefused(context(check))
        case .concurrentConnections: try await checkConcurrentConnections(context(check))
        }
    }

    private func context(_ check: Check, _ role: String = "both sides") -> CheckContext {
        CheckContext(suite: suiteName, check: check.rawValue, role: role, promptness: limits.promptness)
    }

    /// An upgrader of a fresh identity with the suite's choices, prepared for.
    func makeUpgrader() throws -> Upgrader {
        let upgrader = Upgrader(identity: .generateEd25519(), securities: securities, muxers: muxers)
        try transport.prepare(identity: upgrader.identity)
        try upgrader.prepare()
        return upgrader
    }
}
