import Foundation
import InteropMatrix
import InteropRunner
import LibP2PRegistry
import Testing

/// The perf mode's report files: unified-testing's per-test perf YAML, the
/// medians the chart reads, and the dashboard.
@Suite("Perf matrix report")
struct PerfReportTests {
    static let combination = Combination(transport: "tcp", security: "noise", muxer: "yamux")

    static let report = MatrixReport(
        outcomes: [
            PairOutcome(
                test: PairTest(dialer: "swift", listener: "py", combination: combination), passed: true, result: nil,
                reason: nil, log: "", dialerStdout: "", wallTime: .seconds(2),
                perfResult: PerfResults(
                    upload: PerfStatistics(samples: [1, 2, 3]), download: PerfStatistics(samples: [4, 5, 6]),
                    latency: PerfStatistics(samples: [0.25, 0.5]))),
            PairOutcome(
                test: PairTest(dialer: "py", listener: "swift", combination: combination), passed: false, result: nil,
                reason: "dialer exited 1", log: "", dialerStdout: "", wallTime: .seconds(1)),
        ], implementations: ["swift", "py"], kind: .perf)

    @Test("results.yaml holds each test's metadata and its three blocks")
    func yaml() {
        let yaml = Self.report.perfResultsYAML
        #expect(yaml.contains("  - test: \"swift x py (tcp, noise, yamux)\"\n"))
        #expect(yaml.contains("    status: pass\n    upload:\n      iterations: 3\n      min: 1.00\n"))
        #expect(yaml.contains("    latency:\n      iterations: 2\n"))
        #expect(yaml.contains("    status: fail\n    error: \"dialer exited 1\"\n"))
        #expect(yaml.hasSuffix("summary:\n  total: 2\n  passed: 1\n  failed: 1\n"))
    }

    @Test("perf.csv has the medians and latency samples of the passed tests")
    func csv() {
        let lines = Self.report.perfCSV.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1] == "\"swift x py (tcp, noise, yamux)\",swift,py,tcp,noise,yamux,2.00,5.00,0.375,0.250 0.500")
    }

    @Test("the dashboard shows medians and marks the failure; the files are written")
    func files() throws {
        #expect(Self.report.perfDashboard.contains("| swift | py | 2.00 | 5.00 | 0.375 |"))
        #expect(Self.report.perfDashboard.contains("| py | swift | ❌ | ❌ | dialer exited 1 |"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("perf-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.report.write(to: directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["dashboard.md", "perf.csv", "results.csv", "results.yaml"])
    }
}
