import LibP2PCore
import LibP2PRegistry

/// The muxer conformance suite: every `MuxerProtocol` plugin must pass every check,
/// each in both roles (the dialer's `.initiator` session and the listener's
/// `.responder` session taking turns as the side that acts). Sessions run over a
/// `MemoryPipe`; nothing here knows a concrete muxer.
///
/// A plugin's test target runs it with one line, one test case per check:
///
/// ```swift
/// @Test(arguments: MuxerConformance.Check.allCases)
/// func conformance(_ check: MuxerConformance.Check) async throws {
///     try await MuxerConformance(YamuxMuxer(), violations: yamuxViolations).run(check)
/// }
/// ```
///
/// A transport that multiplexes itself (quic-v1) runs the same checks on the
/// sessions of real connections between two of its hosts, with
/// ``init(connectionsOf:listenOn:securities:muxers:limits:)`` and
/// ``transportChecks`` (all but `protocolViolations`: there is no byte stream
/// under the session to write broken frames into).
///
/// A failed check throws a `ConformanceFailure` naming the check, the role and what
/// was seen. Every check is bounded by `Limits.timeout` per role.
public struct MuxerConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Streams opened on one side are accepted on the other, data flows on each.
        case openAccept
        /// Ping-pong of small messages, then more than a window each way at once.
        case dataBothWays
        /// `Limits.concurrentStreams` streams open at the same time, each echoing
        /// (opened at most `Limits.concurrentOpens` at a time).
        case concurrentStreams
        /// `Limits.largeTransferBytes` over a few streams, both ways, every byte checked.
        case largeTransfer
        /// `closeWrite()` ends the peer's reads while the other direction goes on; each way.
        case halfClose
        /// `reset()` fails the peer's pending read and later writes, and our own; each way.
        case reset
        /// A reader that does not read bounds what the writer gets accepted (it waits
        /// or is reset), other streams keep flowing, and the data arrives intact later.
        case slowReader
        /// `close()` on one side fails pending operations on both sides promptly:
        /// `acceptStream()` returns nil, reads end or fail, writes and opens fail; with
        /// nothing in flight the peer's `run()` returns normally.
        case remoteClose
        /// Frames that break the protocol's rules (given by the plugin's test as
        /// `violations`) make `run()` throw and every pending operation fail.
        case protocolViolations

        public var description: String { rawValue }
    }

    /// Raw bytes that break the muxer's rules (stream-ID parity, a stream opened
    /// twice, flags or frame types the protocol forbids...), written by a hand-driven
    /// peer to a session under test.
    ///
    /// Before the bytes are written, the session under test has opened one stream of
    /// its own (its first stream ID) and has an `acceptStream()` pending. The bytes
    /// must break a rule on their own; they may depend on the role of the session
    /// under test (e.g. the parity of stream IDs it expects from the peer).
    public struct Violation: Sendable {
        public let name: String
        public let bytes: @Sendable (_ sessionRole: MuxerRole) -> [UInt8]

        public init(_ name: String, bytes: @escaping @Sendable (_ sessionRole: MuxerRole) -> [UInt8]) {
            self.name = name
            self.bytes = bytes
        }

        /// A violation whose bytes do not depend on the role.
        public init(_ name: String, bytes: [UInt8]) {
            self.init(name, bytes: { _ in bytes })
        }
    }

    /// Sizes and bounds of the checks. The defaults are what every plugin must meet.
    public struct Limits: Sendable {
        /// The whole check in one role, setup and teardown included.
        public var timeout: Duration = .seconds(60)
        /// How soon pending operations must fail after a close, reset or violation.
        public var promptness: Duration = .seconds(5)
        public var concurrentStreams = 1_000
        /// Streams opened but not yet echoed at any moment while `concurrentStreams`
        /// are being opened: the acceptor's backlog must hold this many.
        public var concurrentOpens = 64
        /// Bytes per role, split evenly over `largeTransferStreams` streams and both directions.
        public var largeTransferBytes = 64 << 20
        public var largeTransferStreams = 4
        /// The most a writer may get accepted while its reader reads nothing.
        public var slowReaderBound = 8 << 20
        /// Capacity of each direction of the in-memory pipe between the sessions.
        public var pipeCapacity = 64 << 10

        public init() {}
    }

    /// Where the two sessions of a check come from.
    enum SessionSource: Sendable {
        /// A muxer's sessions over the two ends of a `MemoryPipe`.
        case muxer(any MuxerProtocol)
        /// The sessions of a real connection made by a transport's `connect` and
        /// `listen`, with these upgrader choices (none for a standalone transport).
        case transport(
            any Transport, listenOn: Multiaddr, securities: [any SecurityProtocol], muxers: [any MuxerProtocol])
    }

    let source: SessionSource
    public let violations: [Violation]
    public let limits: Limits

    public init(_ muxer: any MuxerProtocol, violations: [Violation] = [], limits: Limits = Limits()) {
        self.source = .muxer(muxer)
        self.violations = violations
        self.limits = limits
    }

    /// The checks on the sessions of `transport`'s connections, listening on
    /// `listenAddress` (loopback, port 0). A standalone transport (quic-v1) needs
    /// no `securities` or `muxers`; a byte-stream one is given the pair to upgrade with.
    public init(
        connectionsOf transport: any Transport, listenOn listenAddress: Multiaddr,
        securities: [any SecurityProtocol] = [], muxers: [any MuxerProtocol] = [], limits: Limits = Limits()
    ) {
        self.source = .transport(transport, listenOn: listenAddress, securities: securities, muxers: muxers)
        self.violations = []
        self.limits = limits
    }

    /// The checks that apply to a transport's own sessions.
    public static let transportChecks = Check.allCases.filter { $0 != .protocolViolations }

    var suiteName: String {
        switch source {
        case .muxer(let muxer): return "MuxerConformance(\(muxer.name))"
        case .transport(let transport, _, let securities, let muxers):
            let over = (securities.map(\.name) + muxers.map(\.name)).joined(separator: ", ")
            return "MuxerConformance(\(transport.name)\(over.isEmpty ? "" : ": " + over))"
        }
    }

    /// Runs one check in both roles; throws the first `ConformanceFailure`.
    public func run(_ check: Check) async throws {
        for role in [MuxerRole.initiator, .responder] {
            try await run(check, actingRole: role)
        }
    }

    /// One check with `actingRole` as the session that opens, writes, closes or
    /// resets (or, for `protocolViolations`, the session under test).
    func run(_ check: Check, actingRole role: MuxerRole) async throws {
        let context = CheckContext(suite: suiteName, check: check.rawValue, role: roleLabel(check, role), promptness: limits.promptness)
        switch check {
        case .openAccept: try await checkOpenAccept(opener: role, context)
        case .dataBothWays: try await checkDataBothWays(opener: role, context)
        case .concurrentStreams: try await checkConcurrentStreams(opener: role, context)
        case .largeTransfer: try await checkLargeTransfer(opener: role, context)
        case .halfClose: try await checkHalfClose(opener: role, context)
        case .reset: try await checkReset(opener: role, context)
        case .slowReader: try await checkSlowReader(writer: role, context)
        case .remoteClose: try await checkRemoteClose(closer: role, context)
        case .protocolViolations: try await checkProtocolViolations(sessionRole: role, context)
        }
    }

    private func roleLabel(_ check: Check, _ role: MuxerRole) -> String {
        switch check {
        case .slowReader: return "\(role) writes"
        case .remoteClose: return "\(role) closes"
        case .protocolViolations: return "session under test is the \(role)"
        default: return "\(role) opens"
        }
    }
}

extension MuxerRole {
    var other: MuxerRole { self == .initiator ? .responder : .initiator }
}
