#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InteropMatrix

/// Draws the perf matrix's chart with `scripts/perf_chart.py` (matplotlib, in the
/// py peer's venv). A missing venv or a failed chart is reported, not fatal: the
/// results are written already.
enum PerfChart {
    static func draw(results: String, variables: [String: String]) async {
        let repo = variables["REPO"] ?? "."
        let python = variables["PY_PEER_PYTHON"] ?? "\(repo)/.venv-pypeer/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            note("no chart: \(python) not found (scripts/setup-python-peer.sh makes it)")
            return
        }
        do {
            let output = try await ProcessRun.run([python, "\(repo)/scripts/perf_chart.py", results], timeout: .seconds(120))
            if output.status != 0 { note("no chart: perf_chart.py: \(output.stderr.suffix(300))") }
            StandardStreams.write(output.stdout, to: .standardError)
        } catch {
            note("no chart: \(error)")
        }
    }

    private static func note(_ text: String) {
        StandardStreams.write("note: \(text)\n", to: .standardError)
    }
}
