#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InteropRunner
import LibP2PRegistry

/// One interop test: a dialer implementation against a listener implementation for
/// one combination, run as two processes that meet through Redis.
public struct PairTest: Sendable, Hashable {
    public let dialer: String
    public let listener: String
    public let combination: Combination

    public init(dialer: String, listener: String, combination: Combination) {
        self.dialer = dialer
        self.listener = listener
        self.combination = combination
    }

    /// test-plans' naming: `swift x py-libp2p-v0.8.1 (tcp, noise, yamux)`.
    public var name: String { "\(dialer) x \(listener) (\(combination))" }

    /// A file-name-safe form of `name`.
    public var slug: String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
    }
}

/// What one pair test did.
public struct PairOutcome: Sendable {
    public let test: PairTest
    public let passed: Bool
    public let result: InteropResult?
    /// Why it failed, in one line.
    public let reason: String?
    /// Both sides' stderr and the dialer's stdout.
    public let log: String
    /// Exactly what the dialer printed on stdout.
    public let dialerStdout: String
    public let wallTime: Duration
    /// A perf pair's figures (the matrix's perf mode).
    public let perfResult: PerfResults?

    public init(
        test: PairTest, passed: Bool, result: InteropResult?, reason: String?, log: String, dialerStdout: String,
        wallTime: Duration, perfResult: PerfResults? = nil
    ) {
        self.perfResult = perfResult
        self.test = test
        self.passed = passed
        self.result = result
        self.reason = reason
        self.log = log
        self.dialerStdout = dialerStdout
        self.wallTime = wallTime
    }
}
