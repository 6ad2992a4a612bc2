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
