import LibP2PCore
/// A conformance check failed: which suite and plugin, which check, in which role,
/// and why. Thrown by every suite instead of test-framework assertions, so this
/// library does not depend on a test framework and a failure reads on one line:
///
/// `MuxerConformance(yamux).halfClose [initiator opens]: after the opener's closeWrite() the acceptor read 3 bytes, expected end of stream`
public struct ConformanceFailure: Error, CustomStringConvertible, Sendable {
    /// The suite and the plugin under test, e.g. `MuxerConformance(yamux)`.
    public let suite: String
    /// The check's name, e.g. `halfClose`.
    public let check: String
    /// Who did what in this run of the check, e.g. `initiator opens`.
    public let role: String
    /// What went wrong, with the values seen.
    public let reason: String

    public init(suite: String, check: String, role: String, reason: String) {
        self.suite = suite
        self.check = check
        self.role = role
        self.reason = reason
    }

    public var description: String { "\(suite).\(check) [\(role)]: \(reason)" }
}

/// One run of one check in one role: builds failures that name all three, turns
/// stray errors into failures that say which step threw, and remembers the step in
/// progress so a timeout can say where it was stuck.
struct CheckContext: Sendable {
    let suite: String
    let check: String
    let role: String
    /// How soon an operation that must end "promptly" (after a close, a reset, a
    /// failure of the peer) has to end.
    let promptness: Duration
    private let currentStep = SharedValue("starting")

    init(suite: String, check: String, role: String, promptness: Duration) {
        self.suite = suite
        self.check = check
        self.role = role
        self.promptness = promptness
    }

    /// The same check in a sub-case, named by `detail` after the role.
    func variant(_ detail: String) -> CheckContext {
        CheckContext(suite: suite, check: check, role: "\(role); \(detail)", promptness: promptness)
    }

    func failure(_ reason: String) -> ConformanceFailure {
        ConformanceFailure(suite: suite, check: check, role: role, reason: reason)
    }

    /// Fails with `reason` unless `condition` holds.
    func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
        if !condition { throw failure(reason()) }
    }

    /// The step that was last started (for timeout messages).
    var stepInProgress: String { currentStep.value }

    /// Marks `what` as the step in progress without running anything.
    func note(_ what: String) {
        currentStep.set(what)
    }

    /// Runs one named step: it becomes the step in progress, and any error it throws
    /// that is not already a `ConformanceFailure` becomes one naming the step.
    func step<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        note(what)
        do {
            return try await body()
        } catch let failure as ConformanceFailure {
            throw failure
        } catch {
            throw failure("\(what) failed: \(describe(error))")
        }
    }
}

extension CheckContext {
    /// Fails unless the two ends of a connection mirror each other's addresses.
    func requireMirrored(
        dialer: (local: Multiaddr, remote: Multiaddr), acceptor: (local: Multiaddr, remote: Multiaddr)
    ) throws {
        try require(
            acceptor.remote == dialer.local,
            "the accepted connection's remoteAddress is \(acceptor.remote), the dialer's localAddress \(dialer.local)")
        try require(
            acceptor.local == dialer.remote,
            "the accepted connection's localAddress is \(acceptor.local), the dialer's remoteAddress \(dialer.remote)")
    }

    /// Runs `body`, failing unless it finishes within `promptness`.
    func promptly<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        note(what)
        return try await withDeadline(promptness, self, what: what) { try await body() }
    }
}

/// An error as a reader wants it: its description and, when that hides it, its type.
func describe(_ error: any Error) -> String {
    let text = String(describing: error)
    let type = String(describing: Swift.type(of: error))
    return text.hasPrefix(type) ? text : "\(text) (\(type))"
}
