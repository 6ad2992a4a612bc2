import LibP2PCore
import LibP2PRegistry

/// The security conformance suite: every `SecurityProtocol` plugin must pass every
/// check, each in both roles (the dialer's `secureOutbound` and the listener's
/// `secureInbound` taking turns as the side that acts). Handshakes run over a
/// `MemoryPipe` with fresh Ed25519 identities; nothing here knows a concrete protocol.
///
/// A plugin's test target runs it with one line, one test case per check:
///
/// ```swift
/// @Test(arguments: SecurityConformance.Check.allCases)
/// func conformance(_ check: SecurityConformance.Check) async throws {
///     try await SecurityConformance(NoiseSecurity()).run(check)
/// }
/// ```
///
/// A failed check throws a `ConformanceFailure`; every check is bounded by
/// `Limits.timeout` per role.
public struct SecurityConformance: Sendable {
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Both sides complete; each sees the other's peer ID and public key and its
        /// own peer ID; data flows both ways, the acting side first.
        case handshake
        /// The dialer's expected peer ID is checked (set: the listener's; unset: any).
        case expectedPeer
        /// A dialer expecting another peer refuses the listener; both sides end.
        case wrongPeerRefused
        /// Messages larger than one frame (`Limits.largeMessage`) arrive intact.
        case largeMessages
        /// `closeWrite()` ends the peer's reads while the other direction goes on.
        case halfClose
        /// The acting side's handshake output is cut after N bytes: an error, not a hang.
        case truncatedHandshake
        /// Reading and writing at once in two tasks, against a peer that echoes.
        case concurrentReadWrite
        /// Muxer lists offered in the handshake give both sides the same `earlyMuxer`
        /// (or both nil), one both listed.
        case earlyMuxers

        public var description: String { rawValue }
    }

    public struct Limits: Sendable {
        /// The whole check in one role.
        public var timeout: Duration = .seconds(30)
        /// How soon a side must end once its peer failed or went away.
        public var promptness: Duration = .seconds(5)
        public var largeMessage = 1 << 20
        public var concurrentBytes = 8 << 20
        public var pipeCapacity = 64 << 10

        public init() {}
    }

    public let security: any SecurityProtocol
    public let limits: Limits

    public init(_ security: any SecurityProtocol, limits: Limits = Limits()) {
        self.security = security
        self.limits = limits
    }

    var suiteName: String { "SecurityConformance(\(security.name))" }

    /// Runs one check in both roles; throws the first `ConformanceFailure`.
    public func run(_ check: Check) async throws {
        for role in [MuxerRole.initiator, .responder] {
            let context = CheckContext(suite: suiteName, check: check.rawValue, role: roleLabel(check, role), promptness: limits.promptness)
            switch check {
            case .handshake: try await checkHandshake(speaker: role, context)
            case .expectedPeer: try await checkExpectedPeer(expecting: role == .initiator, context)
            case .wrongPeerRefused: try await checkWrongPeerRefused(expectingOwnID: role == .responder, context)
            case .largeMessages: try await checkLargeMessages(sender: role, context)
            case .halfClose: try await checkHalfClose(closer: role, context)
            case .truncatedHandshake: try await checkTruncatedHandshake(cutSide: role, context)
            case .concurrentReadWrite: try await checkConcurrentReadWrite(actor: role, context)
            case .earlyMuxers: try await checkEarlyMuxers(firstList: role, context)
            }
        }
    }

    private func roleLabel(_ check: Check, _ role: MuxerRole) -> String {
        switch check {
        case .expectedPeer: return role == .initiator ? "initiator expects the responder's peer ID" : "initiator expects no particular peer"
        case .wrongPeerRefused: return role == .initiator ? "initiator expects another peer" : "initiator expects its own peer ID"
        case .largeMessages: return "\(role) sends first"
        case .halfClose: return "\(role) closes first"
        case .truncatedHandshake: return "\(role)'s output is cut"
        case .concurrentReadWrite: return "\(role) reads and writes at once"
        case .earlyMuxers: return "\(role) offers the first list"
        case .handshake: return "\(role) speaks first"
        }
    }
}
