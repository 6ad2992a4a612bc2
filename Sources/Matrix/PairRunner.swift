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

/// Runs one `PairTest`: starts the listener, then the dialer, in the unified-testing
/// env-var form with a fresh `TEST_KEY`, waits for the dialer under the per-test
/// timeout, kills the listener, and parses the dialer's stdout.
public struct PairRunner: Sendable {
    public var redisAddress: String
    public var timeout: Duration
    public var logDirectory: URL
    /// Host the listener binds (its published address follows from it).
    public var listenIP: String = "127.0.0.1"
    /// Prefixes for the two commands, e.g. `ip netns exec NS`.
    public var listenerLauncher: [String] = []
    public var dialerLauncher: [String] = []
    /// Redis as the dialer reaches it, when that differs (network namespaces).
    public var dialerRedisAddress: String?
    /// Which env-var contract to speak: unified-testing (a fresh `TEST_KEY` per
    /// test) or classic test-plans (lower-case names, the one `listenerAddr` key, so
    /// only one classic test at a time per Redis).
    public var form: ContractForm = .unified
    /// Extra variables for each side (e.g. a peer's own diagnostics switches).
    public var listenerEnvironment: [String: String] = [:]
    public var dialerEnvironment: [String: String] = [:]
    /// Perf mode: both sides run their perf app (the command plus `perf`), the
    /// dialer with these parameters, and its stdout must be the perf YAML.
    public var perf: PerfParameters?

    public init(redisAddress: String, timeout: Duration, logDirectory: URL) {
        self.redisAddress = redisAddress
        self.timeout = timeout
        self.logDirectory = logDirectory
    }

    public func run(_ test: PairTest, listenerCommand: [String], dialerCommand: [String]) async -> PairOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let key = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        // Both sides' variables come from the contract's one table of names.
        let listenerConfig = InteropConfig(
            transport: test.combination.transport, security: test.combination.security, muxer: test.combination.muxer,
            isDialer: false, listenIP: listenIP, redisAddress: redisAddress, timeout: timeout,
            testKey: form == .unified ? key : nil)
        var dialerConfig = listenerConfig
        dialerConfig.isDialer = true
        dialerConfig.redisAddress = dialerRedisAddress ?? redisAddress
        let listenerEnv = listenerConfig.environment().merging(listenerEnvironment) { ours, _ in ours }
        var dialerEnv = dialerConfig.environment().merging(dialerEnvironment) { ours, _ in ours }
        if let perf { dialerEnv.merge(perf.environment()) { ours, _ in ours } }
        let mode = perf == nil ? [] : ["perf"]
        let listenerCommand = listenerCommand + mode
        let dialerCommand = dialerCommand + mode

        let files = { (side: String, stream: String) in
            logDirectory.appendingPathComponent("\(test.slug).\(side).\(stream)")
        }
        func finish(
            _ passed: Bool, _ result: InteropResult?, _ reason: String?, _ log: String, stdout: String = "",
            perfResult: PerfResults? = nil
        ) -> PairOutcome {
            let outcome = PairOutcome(
                test: test, passed: passed, result: result, reason: reason, log: log, dialerStdout: stdout,
                wallTime: clock.now - start, perfResult: perfResult)
            try? log.write(to: logDirectory.appendingPathComponent("\(test.slug).log"), atomically: true, encoding: .utf8)
            for side in ["listener", "dialer"] {
                for stream in ["stdout", "stderr"] { try? FileManager.default.removeItem(at: files(side, stream)) }
            }
            return outcome
        }

        let listener: ChildProcess
        do {
            listener = try ChildProcess(
                command: listenerLauncher + listenerCommand, environment: listenerEnv,
                stdout: files("listener", "stdout"), stderr: files("listener", "stderr"))
        } catch {
            return finish(false, nil, "cannot start the listener: \(error)", "")
        }
        let dialer: ChildProcess
        do {
            dialer = try ChildProcess(
                command: dialerLauncher + dialerCommand, environment: dialerEnv,
                stdout: files("dialer", "stdout"), stderr: files("dialer", "stderr"))
        } catch {
            await listener.terminate()
            return finish(false, nil, "cannot start the dialer: \(error)", listener.stderrText)
        }
        let status = await dialer.wait(timeout: timeout + .seconds(10))
        let listenerExitedEarly = !listener.isRunning
        await listener.terminate()

        let stdout = dialer.stdoutText
        let log = """
            === \(test.name), TEST_KEY=\(key)
            === dialer stdout
            \(stdout)
            === dialer stderr
            \(dialer.stderrText)
            === listener stderr\(listenerExitedEarly ? " (the listener exited before the dialer finished)" : "")
            \(listener.stderrText)
            """
        guard let status else {
            return finish(false, nil, "the dialer did not finish within \(timeout)", log)
        }
        guard status == 0 else {
            let last = dialer.stderrText.split(separator: "\n").last.map(String.init) ?? "no message"
            return finish(false, nil, "dialer exited \(status): \(last)", log, stdout: stdout)
        }
        if perf != nil {
            guard let perfResult = PerfResults(parsing: stdout) else {
                return finish(false, nil, "the dialer's stdout is not a perf result: \(stdout.prefix(200))", log, stdout: stdout)
            }
            return finish(true, nil, nil, log, stdout: stdout, perfResult: perfResult)
        }
        guard let result = InteropResult(parsing: stdout) else {
            return finish(false, nil, "the dialer's stdout is not a result: \(stdout.prefix(200))", log, stdout: stdout)
        }
        return finish(true, result, nil, log, stdout: stdout)
    }
}
