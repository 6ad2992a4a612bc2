#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InteropMatrix
import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry

/// `libp2p-interop matrix`: every combination of the known implementations, both
/// roles, every shared transport/security/muxer, with a results folder and a
/// dashboard. Exits non-zero when any test fails.
struct MatrixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Run the local interop matrix (Swift and the configured implementations) and write a dashboard.")

    @Option(help: "JSON list of the other implementations (id, command, transports, secureChannels, muxers).")
    var implementations = "interop/implementations.json"
    @Option(help: "Folder for results.csv, results.yaml, dashboard.md, timings.csv and logs/.")
    var results = "results"
    @Option(help: "Tests run at once.")
    var jobs = 4
    @Option(help: "Per-test timeout in seconds.")
    var timeout = 60
    @Option(help: "Only tests whose name contains this (repeatable).")
    var name: [String] = []
    @Option(help: "Only this security channel (repeatable).")
    var security: [String] = []
    @Option(help: "Only this muxer (repeatable).")
    var muxer: [String] = []
    @Option(help: "Only this transport (repeatable).")
    var transport: [String] = []
    @Option(name: .customLong("impl"), help: "Only tests between these implementations (repeatable).")
    var implementationFilter: [String] = []
    @Flag(help: "Run listener and dialer in two network namespaces joined by a veth pair (needs root).")
    var netns = false
    @Flag(help: "Print the names of the planned tests, one per line, and run nothing.")
    var list = false
    @Option(name: .customLong("failed-in"), help: "Only the tests that failed in this earlier results folder (its results.csv).")
    var failedIn: String?
    @Flag(help: "Run the perf apps (libp2p-interop perf, peer.py perf) instead of the ping test; writes perf.csv and, with matplotlib in the py peer's venv, perf.svg.")
    var perf = false
    @Option(name: .customLong("perf-bytes"), help: "Perf mode: bytes per upload and per download.")
    var perfBytes: UInt64 = 16 << 20
    @Option(name: .customLong("perf-iterations"), help: "Perf mode: upload and download iterations.")
    var perfIterations = 3
    @Option(name: .customLong("latency-iterations"), help: "Perf mode: latency iterations.")
    var latencyIterations = 20

    func run() async throws {
        let configURL = URL(fileURLWithPath: implementations)
        var impls = [Self.swiftImplementation()]
        if FileManager.default.fileExists(atPath: configURL.path) {
            impls += try Implementation.load(from: configURL)
        } else {
            StandardStreams.write("note: \(implementations) not found; running Swift only\n", to: .standardError)
        }
        var filters = MatrixPlan.Filters()
        filters.nameContains = name
        filters.security = security
        filters.muxer = muxer
        filters.transport = transport
        filters.implementations = implementationFilter
        if let failedIn {
            filters.exactNames = try FailedTests.names(in: URL(fileURLWithPath: failedIn))
        }
        let plan = MatrixPlan(implementations: impls, filters: filters)
        if list {
            for test in plan.tests { print(test.name) }
            return
        }

        var variables = ProcessInfo.processInfo.environment
        variables["SELF"] = Self.executablePath()
        variables["REPO"] = configURL.deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL.path
        // The project's own py peer, where scripts/setup-python-peer.sh puts it.
        if variables["PY_PEER_PYTHON", default: ""].isEmpty, let repo = variables["REPO"] {
            let venvPython = "\(repo)/.venv-pypeer/bin/python"
            if access(venvPython, X_OK) == 0 { variables["PY_PEER_PYTHON"] = venvPython }
        }
        var runner = MatrixRunner(
            jobs: jobs, timeout: .seconds(timeout), resultsDirectory: URL(fileURLWithPath: results),
            variables: variables, separateNetworks: netns)
        if perf {
            runner.perf = PerfParameters(
                uploadBytes: perfBytes, downloadBytes: perfBytes, uploadIterations: perfIterations,
                downloadIterations: perfIterations, latencyIterations: latencyIterations)
        }
        let report = try await runner.run(plan) { line in
            StandardStreams.write(line + "\n", to: .standardError)
        }
        // The chart's note goes to stderr: before the dashboard, not inside it.
        if perf { await PerfChart.draw(results: results, variables: variables) }
        print(perf ? report.perfDashboard : report.dashboard)
        print("\(report.passed) passed, \(report.failed) failed (results in \(results)/)")
        if report.failed > 0 { throw ExitCode(1) }
    }

    /// Swift's own entry: this binary, with what the registry holds.
    static func swiftImplementation() -> Implementation {
        let registry = Registry.builtin()
        return Implementation(
            id: "swift-v0.1", command: ["${SELF}"], transports: registry.transports.map(\.name),
            secureChannels: registry.securities.map(\.name), muxers: registry.muxers.map(\.name))
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
