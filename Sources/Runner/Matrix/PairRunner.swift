import Foundation
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
    public var form: Form = .unified
    /// Extra variables for each side (e.g. a peer's own diagnostics switches).
    public var listenerEnvironment: [String: String] = [:]
    public var dialerEnvironment: [String: String] = [:]

    public enum Form: Sendable {
        case unified
        case classic
    }

    public init(redisAddress: String, timeout: Duration, logDirectory: URL) {
        self.redisAddress = redisAddress
        self.timeout = timeout
        self.logDirectory = logDirectory
    }

    public func run(_ test: PairTest, listenerCommand: [String], dialerCommand: [String]) async -> PairOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let key = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let timeoutSeconds = max(1, Int((timeout.milliseconds / 1000).rounded(.up)))
        let names = form == .unified
            ? (transport: "TRANSPORT", security: "SECURE_CHANNEL", muxer: "MUXER", timeout: "TEST_TIMEOUT_SECS",
               dialer: "IS_DIALER", ip: "LISTENER_IP", redis: "REDIS_ADDR")
            : (transport: "transport", security: "security", muxer: "muxer", timeout: "test_timeout_seconds",
               dialer: "is_dialer", ip: "ip", redis: "redis_addr")
        var base: [String: String] = [
            names.transport: test.combination.transport, names.security: test.combination.security,
            names.muxer: test.combination.muxer, names.timeout: "\(timeoutSeconds)",
        ]
        if form == .unified { base["TEST_KEY"] = key }
        var listenerEnv = base.merging(listenerEnvironment) { ours, _ in ours }
        listenerEnv[names.dialer] = "false"
        listenerEnv[names.ip] = listenIP
        listenerEnv[names.redis] = redisAddress
        var dialerEnv = base.merging(dialerEnvironment) { ours, _ in ours }
        dialerEnv[names.dialer] = "true"
        dialerEnv[names.redis] = dialerRedisAddress ?? redisAddress

        let files = { (side: String, stream: String) in
            logDirectory.appendingPathComponent("\(test.slug).\(side).\(stream)")
        }
        func finish(_ passed: Bool, _ result: InteropResult?, _ reason: String?, _ log: String, stdout: String = "") -> PairOutcome {
            let outcome = PairOutcome(
                test: test, passed: passed, result: result, reason: reason, log: log, dialerStdout: stdout,
                wallTime: clock.now - start)
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
        let listenerExitedEarly = !listener.process.isRunning
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
        guard let result = InteropResult(parsing: stdout) else {
            return finish(false, nil, "the dialer's stdout is not a result: \(stdout.prefix(200))", log, stdout: stdout)
        }
        return finish(true, result, nil, log, stdout: stdout)
    }
}

extension InteropResult {
    /// Parses either output form: the unified YAML block or the classic JSON object.
    public init?(parsing text: String) {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let v = Double(parts[1].trimmingCharacters(in: .whitespaces)) {
                values[parts[0].trimmingCharacters(in: .whitespaces)] = v
            }
        }
        if let hs = values["handshake_plus_one_rtt"], let rtt = values["ping_rtt"] {
            self.init(handshakePlusOneRTTMillis: hs, pingRTTMillis: rtt)
            return
        }
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let hs = (object["handshakePlusOneRTTMillis"] as? NSNumber)?.doubleValue,
                let rtt = (object["pingRTTMilllis"] as? NSNumber)?.doubleValue
            else { continue }
            self.init(handshakePlusOneRTTMillis: hs, pingRTTMillis: rtt)
            return
        }
        return nil
    }
}
