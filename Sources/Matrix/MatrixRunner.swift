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

/// Runs a `MatrixPlan`: one private Redis for the whole run, a few pair tests at a
/// time, a line of progress per finished test on stderr, then the report files.
public struct MatrixRunner: Sendable {
    public var jobs: Int
    public var timeout: Duration
    public var resultsDirectory: URL
    /// Values for `${NAME}` in implementation commands.
    public var variables: [String: String]
    /// Runs listener and dialer in two network namespaces joined by a veth pair.
    public var separateNetworks: Bool
    /// Perf mode: run the perf apps with these parameters instead of the ping test.
    public var perf: PerfParameters?

    public init(jobs: Int, timeout: Duration, resultsDirectory: URL, variables: [String: String], separateNetworks: Bool = false) {
        self.jobs = jobs
        self.timeout = timeout
        self.resultsDirectory = resultsDirectory
        self.variables = variables
        self.separateNetworks = separateNetworks
    }

    public func run(_ plan: MatrixPlan, progress: @Sendable (String) -> Void) async throws -> MatrixReport {
        guard !plan.tests.isEmpty else { throw MatrixError.nothingToRun }
        var resolved: [String: [String]] = [:]
        for impl in plan.implementations { resolved[impl.id] = try impl.resolvedCommand(variables: variables) }
        let commands = resolved
        let logs = resultsDirectory.appendingPathComponent("logs")
        try? FileManager.default.removeItem(at: resultsDirectory)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)

        let namespaces = separateNetworks ? try await NetworkNamespaces.create() : nil
        let redis: RedisServer
        do {
            if let namespaces {
                redis = try await RedisServer.start(
                    host: namespaces.listenerAddress, launcher: namespaces.listenerLauncher,
                    bindAddresses: [namespaces.listenerAddress, "127.0.0.1"])
            } else {
                redis = try await RedisServer.start()
            }
        } catch {
            await namespaces?.remove()
            throw error
        }

        var runner = PairRunner(redisAddress: redis.address, timeout: timeout, logDirectory: logs)
        runner.perf = perf
        if let namespaces {
            runner.listenIP = "0.0.0.0"
            runner.listenerLauncher = namespaces.listenerLauncher
            runner.dialerLauncher = namespaces.dialerLauncher
            progress("network namespaces: listener \(namespaces.listenerAddress), dialer \(namespaces.dialerAddress) (veth)")
        }
        let pairRunner = runner
        let total = plan.tests.count
        progress("running \(total) tests, \(jobs) at a time, redis at \(redis.address)")

        var outcomes: [PairOutcome] = []
        await withTaskGroup(of: PairOutcome.self) { group in
            var pending = plan.tests[...]
            func startNext() {
                guard let test = pending.popFirst() else { return }
                group.addTask {
                    await pairRunner.run(test, listenerCommand: commands[test.listener]!, dialerCommand: commands[test.dialer]!)
                }
            }
            for _ in 0..<max(1, jobs) { startNext() }
            while let outcome = await group.next() {
                outcomes.append(outcome)
                let mark = outcome.passed ? "pass" : "FAIL"
                let detail = outcome.perfResult.map {
                    "up \(MatrixReport.gbps($0.upload.median)) / down \(MatrixReport.gbps($0.download.median)) Gbps, "
                        + "latency \(InteropResult.format($0.latency.median)) ms"
                } ?? outcome.result.map {
                    "\(InteropResult.format($0.handshakePlusOneRTTMillis)) ms / \(InteropResult.format($0.pingRTTMillis)) ms"
                } ?? (outcome.reason ?? "")
                progress("[\(outcomes.count)/\(total)] \(mark) \(outcome.test.name)  \(detail)")
                startNext()
            }
        }
        await redis.stop()
        await namespaces?.remove()

        let order = Dictionary(uniqueKeysWithValues: plan.tests.enumerated().map { ($1, $0) })
        outcomes.sort { order[$0.test]! < order[$1.test]! }
        let report = MatrixReport(
            outcomes: outcomes, implementations: plan.implementations.map(\.id), kind: perf == nil ? .transport : .perf)
        try report.write(to: resultsDirectory)
        return report
    }
}
