import LibP2PHost
import LibP2PRegistry

/// A failed run, naming the phase that failed; the CLI prints it as one line on
/// stderr and exits non-zero.
public struct InteropFailure: Error, CustomStringConvertible {
    public enum Phase: String, Sendable {
        case config
        case redis
        case listen
        case dial
        case security
        case muxer
        case ping
        /// A perf transfer failed (the perf app only).
        case perf
        case timeout
    }

    public let phase: Phase
    public let reason: String

    public init(_ phase: Phase, _ reason: String) {
        self.phase = phase
        self.reason = reason
    }

    public var description: String { "\(phase.rawValue) failed: \(reason)" }
}

extension InteropFailure {
    /// The phase a host error belongs to, for the one-line report.
    init(_ error: HostError) {
        switch error {
        case .unsupportedAddress, .connectFailed:
            self.init(.dial, "\(error)")
        case .upgradeFailed(let upgrade):
            self.init(upgrade.phase == .security ? .security : .muxer, "\(upgrade.underlying)")
        case .listenFailed:
            self.init(.listen, "\(error)")
        case .streamOpenFailed:
            self.init(.muxer, "\(error)")
        case .negotiationFailed:
            self.init(.ping, "\(error)")
        }
    }
}
