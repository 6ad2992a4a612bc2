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

/// Writes a matrix run's results in the harnesses' formats: `results.csv`
/// (test-plans: `name,outcome`), `results.yaml` (unified-testing's per-test form),
/// `dashboard.md` (one matrix per option set, dialers as rows, listeners as
/// columns), and `timings.csv`.
public struct MatrixReport: Sendable {
    public let outcomes: [PairOutcome]
    public let implementations: [String]
    /// The ping test or the perf test (`MatrixReport+Perf.swift`).
    public let kind: Kind

    public enum Kind: Sendable { case transport, perf }

    public init(outcomes: [PairOutcome], implementations: [String], kind: Kind = .transport) {
        self.outcomes = outcomes
        self.implementations = implementations
        self.kind = kind
    }

    public var passed: Int { outcomes.filter(\.passed).count }
    public var failed: Int { outcomes.count - passed }

    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if kind == .perf { return try writePerf(to: directory) }
        try resultsCSV.write(to: directory.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        try resultsYAML.write(to: directory.appendingPathComponent("results.yaml"), atomically: true, encoding: .utf8)
        try dashboard.write(to: directory.appendingPathComponent("dashboard.md"), atomically: true, encoding: .utf8)
        try timingsCSV.write(to: directory.appendingPathComponent("timings.csv"), atomically: true, encoding: .utf8)
    }

    public var resultsCSV: String {
        (["name,outcome"] + outcomes.map { "\(Self.csvField($0.test.name)),\($0.passed ? "success" : "failure")" })
            .joined(separator: "\n") + "\n"
    }

    public var timingsCSV: String {
        let rows = outcomes.map { o -> String in
            let hs = o.result.map { InteropResult.format($0.handshakePlusOneRTTMillis) } ?? ""
            let rtt = o.result.map { InteropResult.format($0.pingRTTMillis) } ?? ""
            return "\(Self.csvField(o.test.name)),\(hs),\(rtt),\(InteropResult.format(o.wallTime.milliseconds / 1000))"
        }
        return (["name,handshake_plus_one_rtt_ms,ping_rtt_ms,wall_seconds"] + rows).joined(separator: "\n") + "\n"
    }

    public var resultsYAML: String {
        var lines = ["results:"]
        for o in outcomes {
            lines += Self.yamlHead(of: o, nameKey: "name")
            lines.append("    duration: \(InteropResult.format(o.wallTime.milliseconds / 1000))s")
            if let r = o.result {
                lines.append("    latency:")
                lines.append("      handshake_plus_one_rtt: \(InteropResult.format(r.handshakePlusOneRTTMillis))")
                lines.append("      ping_rtt: \(InteropResult.format(r.pingRTTMillis))")
                lines.append("      unit: ms")
            }
            if let reason = o.reason { lines.append("    error: \(Self.yamlString(reason))") }
        }
        lines.append("summary:")
        lines.append("  total: \(outcomes.count)")
        lines.append("  passed: \(passed)")
        lines.append("  failed: \(failed)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One table per transport/security/muxer set: ✅ passed, ❌ failed, blank not run.
    public var dashboard: String {
        var out = ["# Interop results", "", "\(passed) passed, \(failed) failed, \(outcomes.count) total.", ""]
        var combinations: [Combination] = []
        for o in outcomes where !combinations.contains(o.test.combination) { combinations.append(o.test.combination) }
        for combination in combinations {
            let here = outcomes.filter { $0.test.combination == combination }
            let dialers = implementations.filter { id in here.contains { $0.test.dialer == id } }
            let listeners = implementations.filter { id in here.contains { $0.test.listener == id } }
            out.append("## \(combination)")
            out.append("")
            out.append("| dialer ↓ \\ listener → | " + listeners.joined(separator: " | ") + " |")
            out.append("|---|" + listeners.map { _ in "---|" }.joined())
            for d in dialers {
                let cells = listeners.map { l -> String in
                    guard let o = here.first(where: { $0.test.dialer == d && $0.test.listener == l }) else { return " " }
                    guard o.passed, let r = o.result else { return "❌" }
                    return "✅ \(InteropResult.format(r.handshakePlusOneRTTMillis)) ms"
                }
                out.append("| \(d) | " + cells.joined(separator: " | ") + " |")
            }
            out.append("")
        }
        let failures = outcomes.filter { !$0.passed }
        if !failures.isEmpty {
            out.append("## Failures")
            out.append("")
            for f in failures { out.append("- \(f.test.name): \(f.reason ?? "failed") (log: `logs/\(f.test.slug).log`)") }
            out.append("")
        }
        out.append("Cells show handshakePlusOneRTT; per-test timings are in `timings.csv`, logs in `logs/`.")
        return out.joined(separator: "\n") + "\n"
    }

    /// The lines that open one test's YAML entry in both result files: its name
    /// (under `nameKey`: the transport test says `name`, perf `test`), the pair,
    /// the combination (`null` where a standalone transport has none) and the status.
    static func yamlHead(of o: PairOutcome, nameKey: String) -> [String] {
        [
            "  - \(nameKey): \(yamlString(o.test.name))",
            "    dialer: \(yamlString(o.test.dialer))",
            "    listener: \(yamlString(o.test.listener))",
            "    transport: \(o.test.combination.transport)",
            "    secureChannel: \(o.test.combination.security ?? "null")",
            "    muxer: \(o.test.combination.muxer ?? "null")",
            "    status: \(o.passed ? "pass" : "fail")",
        ]
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacing("\"", with: "\"\"") + "\"" : s
    }

    static func yamlString(_ s: String) -> String {
        "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
