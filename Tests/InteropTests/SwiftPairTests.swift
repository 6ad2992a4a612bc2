import Foundation
import InteropRunner
import LibP2PBuiltins
import InteropMatrix
import LibP2PRegistry
import Testing

/// Two `libp2p-interop` processes, listener and dialer, meeting through a Redis
/// server the test starts: every registered combination, in both contract forms.
@Suite("Swift x Swift through Redis", .serialized)
struct SwiftPairTests {
    static let combinations = Registry.builtin().combinations

    @Test("unified-testing form, every registered combination", arguments: combinations)
    func unified(combination: Combination) async throws {
        let redis = try await RedisServer.start()
        let runner = PairRunner(redisAddress: redis.address, timeout: .seconds(30), logDirectory: Peers.logDirectory("swift"))
        let test = PairTest(dialer: "swift", listener: "swift", combination: combination)
        let outcome = await runner.run(test, listenerCommand: Peers.swiftCommand, dialerCommand: Peers.swiftCommand)
        await redis.stop()
        #expect(outcome.passed, "\(outcome.reason ?? "")\n\(outcome.log)")
        let lines = outcome.dialerStdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5 && lines[4].isEmpty, "stdout holds exactly the YAML block: \(outcome.dialerStdout)")
        #expect(lines.first == "latency:")
        #expect(lines.dropFirst().first?.hasPrefix("  handshake_plus_one_rtt: ") == true)
        #expect(lines.dropFirst(2).first?.hasPrefix("  ping_rtt: ") == true)
        #expect(lines.dropFirst(3).first == "  unit: ms")
        print("combination \(combination): \(outcome.result.map { "\($0.handshakePlusOneRTTMillis) ms / \($0.pingRTTMillis) ms" } ?? "failed")")
    }

    @Test("classic test-plans form: stdout is one flat JSON object with both keys")
    func classic() async throws {
        let redis = try await RedisServer.start()
        var runner = PairRunner(redisAddress: redis.address, timeout: .seconds(30), logDirectory: Peers.logDirectory("classic"))
        runner.form = .classic
        let test = PairTest(dialer: "swift", listener: "swift", combination: Combination(transport: "tcp", security: "noise", muxer: "yamux"))
        let outcome = await runner.run(test, listenerCommand: Peers.swiftCommand, dialerCommand: Peers.swiftCommand)
        await redis.stop()
        #expect(outcome.passed, "\(outcome.reason ?? "")\n\(outcome.log)")
        let trimmed = outcome.dialerStdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!trimmed.contains("\n"), "one line only: \(trimmed)")
        let object = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any]
        #expect((object?["handshakePlusOneRTTMillis"] as? NSNumber) != nil)
        #expect((object?["pingRTTMilllis"] as? NSNumber) != nil)
        #expect(object?.count == 2)
    }

    @Test("a dialer with no listener fails within its timeout, naming the phase")
    func missingListener() async throws {
        let redis = try await RedisServer.start()
        let run = try await ProcessRun.run(
            Peers.swiftCommand,
            environment: [
                "TRANSPORT": "tcp", "SECURE_CHANNEL": "noise", "MUXER": "yamux", "IS_DIALER": "true",
                "REDIS_ADDR": redis.address, "TEST_KEY": "nobody", "TEST_TIMEOUT_SECS": "2",
            ], timeout: .seconds(30))
        await redis.stop()
        let message = run.stderr
        let output = run.stdout
        #expect(run.status != nil && run.status != 0)
        #expect(message.contains("timeout failed"), "stderr: \(message)")
        #expect(output.isEmpty)
    }

    @Test("a dead Redis is a clear redis failure, not a hang")
    func deadRedis() async throws {
        let port = try FreePort.find()
        let run = try await ProcessRun.run(
            Peers.swiftCommand,
            environment: [
                "transport": "tcp", "security": "noise", "muxer": "yamux", "is_dialer": "true",
                "redis_addr": "127.0.0.1:\(port)", "test_timeout_seconds": "3",
            ], timeout: .seconds(30))
        let message = run.stderr
        #expect(run.status != nil && run.status != 0)
        let last = message.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("redis failed: cannot connect to redis at 127.0.0.1:\(port)"), "stderr: \(message)")
    }
}
