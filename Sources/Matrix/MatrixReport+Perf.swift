#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InteropRunner
import LibP2PRegistry

/// The perf mode's files: `results.csv` as for the ping test, `results.yaml` in
/// unified-testing's perf form (each test's metadata, then its upload, download
/// and latency blocks), `perf.csv` (the medians, which the chart script reads)
/// and `dashboard.md` (a table per combination: upload / download median in
/// Gbit/s and the latency median).
extension MatrixReport {
    func writePerf(to directory: URL) throws {
        try resultsCSV.write(to: directory.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        try perfResultsYAML.write(to: directory.appendingPathComponent("results.yaml"), atomically: true, encoding: .utf8)
        try perfCSV.write(to: directory.appendingPathComponent("perf.csv"), atomically: true, encoding: .utf8)
        try perfDashboard.write(to: directory.appendingPathComponent("dashboard.md"), atomically: true, encoding: .utf8)
    }

    /// Gbit/s with two decimals, as the perf YAML prints them.
    public static func gbps(_ value: Double) -> String { value.fixed(2) }

    public var perfResultsYAML: String {
        var lines = ["results:"]
        for o in outcomes {
            lines += Self.yamlHead(of: o, nameKey: "test")
            if let r = o.perfResult {
                lines += r.yaml.split(separator: "\n").map { "    " + $0 }
            }
            if let reason = o.reason { lines.append("    error: \(Self.yamlString(reason))") }
        }
        lines.append("summary:")
        lines.append("  total: \(outcomes.count)")
        lines.append("  passed: \(passed)")
        lines.append("  failed: \(failed)")
        return lines.joined(separator: "\n") + "\n"
    }

    public var perfCSV: String {
        let rows = outcomes.compactMap { o -> String? in
            guard let r = o.perfResult else { return nil }
            let c = o.test.combination
            return [
                Self.csvField(o.test.name), o.test.dialer, o.test.listener, c.transport, c.security ?? "", c.muxer ?? "",
                Self.gbps(r.upload.median), Self.gbps(r.download.median), r.latency.median.fixed(3),
                r.latency.samples.map { $0.fixed(3) }.joined(separator: " "),
            ].joined(separator: ",")
        }
        return (["name,dialer,listener,transport,security,muxer,upload_gbps,download_gbps,latency_ms,latency_samples_ms"] + rows)
            .joined(separator: "\n") + "\n"
    }

    public var perfDashboard: String {
        var out = ["# Perf results", "", "\(passed) passed, \(failed) failed, \(outcomes.count) total.", ""]
        var combinations: [Combination] = []
        for o in outcomes where !combinations.contains(o.test.combination) { combinations.append(o.test.combination) }
        for combination in combinations {
            out += ["## \(combination)", "", "| dialer | listener | upload Gbit/s | download Gbit/s | latency ms |", "|---|---|---|---|---|"]
            for o in outcomes where o.test.combination == combination {
                if let r = o.perfResult {
                    out.append(
                        "| \(o.test.dialer) | \(o.test.listener) | \(Self.gbps(r.upload.median)) | \(Self.gbps(r.download.median)) | "
                            + "\(r.latency.median.fixed(3)) |")
                } else {
                    out.append("| \(o.test.dialer) | \(o.test.listener) | ❌ | ❌ | \(o.reason ?? "failed") |")
                }
            }
            out.append("")
        }
        out.append("Medians of each series; every sample is in `results.yaml`, logs in `logs/`.")
        return out.joined(separator: "\n") + "\n"
    }
}
