import LibP2PCore
import LibP2PRegistry

/// The transport conformance suite: every `Transport` plugin must pass every check,
/// over real connections on a loopback address the test gives with port 0. Checks
/// where the two sides differ (half-close, close) run in both roles, the dialer and
/// the accepting side taking turns as the side that acts; the others exercise both
/// sides in one run.
///
/// A plugin's test target runs it with one line, one test case per check:
///
/// ```swift
/// @Test(arguments: TransportConformance.Check.allCases)
/// func conformance(_ check: TransportConformance.Check) async throws {
///     try await TransportConformance(TCPTransport(), listenOn: "/ip4/127.0.0.1/tcp/0").run(check)
/// }
/// ```
public struct TransportConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Listening on port 0 reports a real, dialable port in `localAddresses`.
        case listenAddresses
        /// A dial is accepted; the two connections' addresses mirror each other.
        case dialAndAccept
        /// Data both ways at once, more than socket buffers hold, every byte checked.
        case dataBothWays
        /// `closeWrite()` ends the peer's reads while the other direction goes on.
        case halfClose
        /// Closing the listener makes pending `accept()` calls return nil, and later ones.
        case listenerCloseWakesAccept
        /// Closing a connection ends the remote's pending read and our own.
        case connectionCloseWakesReads
        /// Dialing an address nobody listens on fails promptly.
        case dialRefused
        /// Peers that connect, send no handshake (or junk) and vanish leave the
        /// listener serving the next honest dial.
        case abandonedConnections

        public var description: String { rawValue }
    }

    public struct Limits: Sendable {
        /// The whole check in one role.
        public var timeout: Duration = .seconds(30)
        /// How soon pending operations must end after a close.
        public var promptness: Duration = .seconds(5)
        /// Bytes each way in `dataBothWays`.
        public var transferBytes = 16 << 20

        public init() {}
    }

    /// The side of a connection that acts in a check.
    enum Side: String, Sendable, CaseIterable {
        case dialer
        case acceptor
    }

    public let transport: any ByteStreamTransport
    public let listenAddress: Multiaddr
    public let limits: Limits

    /// `listenAddress` is a loopback address with port 0, e.g. `/ip4/127.0.0.1/tcp/0`.
    public init(_ transport: any ByteStreamTransport, listenOn listenAddress: Multiaddr, limits: Limits = Limits()) {
        self.transport = transport
        self.listenAddress = listenAddress
        self.limits = limits
    }

    /// The same, parsing the address; an unparsable one traps (it is test input).
    public init(_ transport: any ByteStreamTransport, listenOn text: String, limits: Limits = Limits()) {
        do {
            self.init(transport, listenOn: try Multiaddr(text), limits: limits)
        } catch {
            preconditionFailure("TransportConformance: bad listen address \(text): \(error)")
        }
    }

    var suiteName: String { "TransportConformance(\(transport.name))" }

    /// Runs one check: in both roles where the sides do different things, once where
    /// the check is symmetric. Throws the first `ConformanceFailure`.
    public func run(_ check: Check) async throws {
        switch check {
        case .listenAddresses: try await checkListenAddresses(context(check, "listener"))
        case .dialAndAccept: try await checkDialAndAccept(context(check, "dialer and acceptor"))
        case .dataBothWays: try await checkDataBothWays(context(check, "both sides at once"))
        case .listenerCloseWakesAccept: try await checkListenerClose(context(check, "listener"))
        case .dialRefused: try await checkDialRefused(context(check, "dialer"))
        case .abandonedConnections: try await checkAbandonedConnections(context(check, "listener"))
        case .halfClose:
            for side in Side.allCases { try await checkHalfClose(closer: side, context(check, "\(side.rawValue) closes first")) }
        case .connectionCloseWakesReads:
            for side in Side.allCases { try await checkConnectionClose(closer: side, context(check, "\(side.rawValue) closes")) }
        }
    }

    private func context(_ check: Check, _ role: String) -> CheckContext {
        CheckContext(suite: suiteName, check: check.rawValue, role: role, promptness: limits.promptness)
    }
}
