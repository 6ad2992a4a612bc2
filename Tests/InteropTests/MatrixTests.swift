import Foundation
import InteropRunner
import InteropMatrix
import Testing

/// The `matrix` command as a user runs it: a failing combination is reported as
/// failed with its reason and log, and the run exits non-zero; with `--netns` the
/// listener publishes a real interface address across a veth pair.
@Suite("libp2p-interop matrix", .serialized)
struct MatrixTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        let results: URL
    }

    func matrix(_ arguments: [String], implementations: String? = nil) async throws -> Run {
        let dir = Peers.logDirectory("matrix")
        let results = dir.appendingPathComponent("results")
        var args = ["matrix", "--results", results.path, "--timeout", "20", "--jobs", "2"] + arguments
        if let implementations {
            let file = dir.appendingPathComponent("implementations.json")
            try implementations.write(to: file, atomically: true, encoding: .utf8)
            args += ["--implementations", file.path]
        } else {
            args += ["--implementations", dir.appendingPathComponent("none.json").path]
        }
        let output = try await ProcessRun.run([Peers.swiftBinary], arguments: args, timeout: .seconds(120))
        return Run(status: output.status ?? -1, stdout: output.stdout, stderr: output.stderr, results: results)
    }

    @Test("a combination that cannot work is marked failed, with its reason, and the run exits non-zero")
    func reportsFailure() async throws {
        // A peer that claims yamux but is started with mplex: its muxer is one the
        // Swift peer (restricted to yamux by the test) lacks.
        let broken = """
            [{"id": "mplex-only", "command": ["env", "MUXER=mplex", "${SELF}"],
              "transports": ["tcp"], "secureChannels": ["noise"], "muxers": ["yamux"]}]
            """
        let run = try await matrix(["--impl", "swift-v0.1", "--impl", "mplex-only", "--security", "noise", "--muxer", "yamux", "--name", "mplex-only"], implementations: broken)
        #expect(run.status != 0, "stderr: \(run.stderr)")
        let csv = try String(contentsOf: run.results.appendingPathComponent("results.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("name,outcome\n"))
        // Names hold commas, so they are quoted, as CSV requires.
        #expect(csv.contains("\"swift-v0.1 x mplex-only (tcp, noise, yamux)\",failure\n"))
        #expect(csv.contains("\"mplex-only x swift-v0.1 (tcp, noise, yamux)\",failure\n"))
        // The misconfigured peer still agrees with itself: only the pairs with Swift fail.
        #expect(csv.contains("\"mplex-only x mplex-only (tcp, noise, yamux)\",success\n"))
        let dashboard = try String(contentsOf: run.results.appendingPathComponent("dashboard.md"), encoding: .utf8)
        #expect(dashboard.contains("❌"))
        #expect(dashboard.contains("## Failures"))
        let yaml = try String(contentsOf: run.results.appendingPathComponent("results.yaml"), encoding: .utf8)
        #expect(yaml.contains("status: fail"))
        #expect(yaml.contains("failed: 2"))
        // The reason names the muxer negotiation, in the summary and in the log.
        #expect(dashboard.contains("muxer"), "dashboard: \(dashboard)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: run.results.appendingPathComponent("logs").path)
        #expect(logs.filter { $0.hasSuffix(".log") }.count == 3)
    }

    @Test(
        "Swift x Swift over a veth pair between two network namespaces",
        .enabled(if: NetworkNamespaces.isSupported, "network namespaces need root and iproute2 (`ip`)"))
    func separateNetworks() async throws {
        let run = try await matrix(["--netns", "--impl", "swift-v0.1", "--security", "noise", "--muxer", "yamux"])
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stderr.contains("network namespaces: listener 10.199."))
        let logs = run.results.appendingPathComponent("logs")
        let files = try FileManager.default.contentsOfDirectory(atPath: logs.path).filter { $0.hasSuffix(".log") }
        let log = try String(contentsOf: logs.appendingPathComponent(try #require(files.first)), encoding: .utf8)
        // The listener bound 0.0.0.0 and must have published its veth address.
        let published = log.split(separator: "\n").first { $0.contains("listening") && $0.contains("address=/ip4/") }
        print("published: \(published ?? "none")")
        #expect(published?.contains("address=/ip4/10.199.") == true, "log: \(log)")
    }
}
