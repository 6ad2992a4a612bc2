import Foundation
import InteropRunner
import LibP2PCore
import Testing

@testable import InteropMatrix

/// Issue 9's faults: each ends the run with one line naming the phase and a
/// non-zero exit within the timeout (never a hang), or, where the fault heals in
/// time (Redis up late), with a passing test.
@Suite("Faults: clean phase errors, never a hang", .serialized)
struct FaultTests {
    static func environment(dialer: Bool, redis: String, key: String, timeout: Int = 10) -> [String: String] {
        [
            "TRANSPORT": "tcp", "SECURE_CHANNEL": "noise", "MUXER": "yamux", "IS_DIALER": dialer ? "true" : "false",
            "LISTENER_IP": "127.0.0.1", "REDIS_ADDR": redis, "TEST_KEY": key, "TEST_TIMEOUT_SECS": "\(timeout)",
        ]
    }

    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? ""
    }

    static func child(_ environment: [String: String], _ name: String) throws -> ChildProcess {
        let logs = Peers.logDirectory("faults-\(name)")
        return try ChildProcess(
            command: Peers.swiftCommand, environment: environment,
            stdout: logs.appendingPathComponent("stdout.log"), stderr: logs.appendingPathComponent("stderr.log"))
    }

    /// A listener process whose published address the test took out of Redis
    /// (so the dialer only sees what the test pushes).
    static func listener(redis: RedisServer) async throws -> (ChildProcess, String) {
        let key = "listener-\(UUID().uuidString)"
        let process = try child(environment(dialer: false, redis: redis.address, key: key, timeout: 60), "listener")
        let client = try await RedisClient.connect(address: redis.address, retryFor: .seconds(5))
        let address = try await client.blpop(key: "\(key)_listener_multiaddr", timeout: .seconds(20))
        await client.close()
        guard let address else {
            await process.terminate()
            throw AttackFailureText("the listener published nothing: \(process.stderrText)")
        }
        return (process, address)
    }

    static func publish(_ value: String, key: String, redis: RedisServer) async throws {
        let client = try await RedisClient.connect(address: redis.address, retryFor: .seconds(5))
        try await client.rpush(key: "\(key)_listener_multiaddr", value: value)
        await client.close()
    }

    /// Runs a dialer on `key` and returns its outcome.
    static func dial(redis: RedisServer, key: String, timeout: Int = 10) async throws -> ProcessOutput {
        try await ProcessRun.run(
            Peers.swiftCommand, environment: environment(dialer: true, redis: redis.address, key: key, timeout: timeout),
            timeout: .seconds(timeout + 20))
    }

    static func expectFailure(_ run: ProcessOutput, phase: String, saying text: String) {
        #expect(run.status != nil, "killed at its timeout: a hang")
        #expect(run.status != 0)
        let last = lastLine(run.stderr)
        #expect(last.hasPrefix("\(phase) failed:") && last.contains(text), "stderr: \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("a listener with no Redis: a redis failure within the timeout")
    func listenerWithoutRedis() async throws {
        let port = try FreePort.find()
        let run = try await ProcessRun.run(
            Peers.swiftCommand, environment: Self.environment(dialer: false, redis: "127.0.0.1:\(port)", key: "k", timeout: 3),
            timeout: .seconds(30))
        Self.expectFailure(run, phase: "redis", saying: "cannot connect to redis at 127.0.0.1:\(port)")
    }

    @Test("Redis up 3 s late, within the timeout: the test passes")
    func redisUpLate() async throws {
        let port = try FreePort.find()
        let address = "127.0.0.1:\(port)"
        let listener = try Self.child(Self.environment(dialer: false, redis: address, key: "late", timeout: 30), "late-listener")
        let dialer = try Self.child(Self.environment(dialer: true, redis: address, key: "late", timeout: 30), "late-dialer")
        try await Task.sleep(for: .seconds(3))
        let redis = try await RedisServer.start(port: port)
        let status = await dialer.wait(timeout: .seconds(40))
        await listener.terminate()
        await redis.stop()
        #expect(status == 0, "dialer: \(dialer.stderrText)")
        #expect(dialer.stdoutText.hasPrefix("latency:"), "stdout: \(dialer.stdoutText)")
    }

    @Test("Redis killed while the dialer waits in BLPOP: a redis failure, long before the timeout")
    func redisKilledDuringBLPOP() async throws {
        let redis = try await RedisServer.start()
        let clock = ContinuousClock()
        let start = clock.now
        async let run = Self.dial(redis: redis, key: "nobody", timeout: 60)
        try await Task.sleep(for: .seconds(2))
        await redis.stop()
        let outcome = try await run
        Self.expectFailure(outcome, phase: "redis", saying: "BLPOP")
        #expect(clock.now - start < .seconds(30), "took \(clock.now - start) of a 60 s timeout")
    }

    @Test("a published value that is not a multiaddr: a dial failure")
    func notAMultiaddr() async throws {
        let redis = try await RedisServer.start()
        try await Self.publish("not a multiaddr", key: "garbage", redis: redis)
        let run = try await Self.dial(redis: redis, key: "garbage")
        await redis.stop()
        Self.expectFailure(run, phase: "dial", saying: "unusable address 'not a multiaddr'")
    }

    @Test("a published address on a transport we lack: a dial failure naming it", arguments: [
        ("/ip4/127.0.0.1/udp/4001/p2p/", "no transport can handle /ip4/127.0.0.1/udp/4001"),
        ("/ip4/127.0.0.1/udp/4001/webrtc-direct/p2p/", "unsupported multiaddr protocol: webrtc-direct"),
    ])
    func unsupportedTransport(prefix: String, message: String) async throws {
        let redis = try await RedisServer.start()
        let peer = PrivateKey.generateEd25519().peerID
        try await Self.publish(prefix + "\(peer)", key: "other", redis: redis)
        let run = try await Self.dial(redis: redis, key: "other")
        await redis.stop()
        Self.expectFailure(run, phase: "dial", saying: message)
    }

    @Test("a published address with another peer ID: a security failure naming the peer expected")
    func wrongPeerID() async throws {
        let redis = try await RedisServer.start()
        let (listener, address) = try await Self.listener(redis: redis)
        let impostor = PrivateKey.generateEd25519().peerID
        let forged = address.components(separatedBy: "/p2p/")[0] + "/p2p/\(impostor)"
        try await Self.publish(forged, key: "forged", redis: redis)
        let run = try await Self.dial(redis: redis, key: "forged")
        await listener.terminate()
        await redis.stop()
        Self.expectFailure(run, phase: "security", saying: "expected \(impostor)")
    }

    @Test("the listener killed mid-handshake: a security failure, not a hang")
    func listenerKilledMidHandshake() async throws {
        let redis = try await RedisServer.start()
        let (listener, address) = try await Self.listener(redis: redis)
        // Frozen, the listener's kernel still accepts the dialer's connection; the
        // handshake then waits on a process that is killed.
        kill(listener.pid, SIGSTOP)
        try await Self.publish(address, key: "killed", redis: redis)
        async let run = Self.dial(redis: redis, key: "killed", timeout: 30)
        try await Task.sleep(for: .seconds(2))
        kill(listener.pid, SIGKILL)
        let outcome = try await run
        await listener.terminate()
        await redis.stop()
        Self.expectFailure(outcome, phase: "security", saying: "connection reset by peer")
    }

    @Test("the dialer killed mid-handshake: the listener keeps serving the next dialer")
    func dialerKilledMidHandshake() async throws {
        let redis = try await RedisServer.start()
        let (listener, address) = try await Self.listener(redis: redis)
        kill(listener.pid, SIGSTOP)
        try await Self.publish(address, key: "first", redis: redis)
        let doomed = try Self.child(Self.environment(dialer: true, redis: redis.address, key: "first", timeout: 30), "doomed")
        try await Task.sleep(for: .seconds(2))
        kill(doomed.pid, SIGKILL)
        _ = await doomed.wait(timeout: .seconds(10))
        kill(listener.pid, SIGCONT)
        try await Self.publish(address, key: "second", redis: redis)
        let run = try await Self.dial(redis: redis, key: "second")
        let alive = listener.isRunning
        await listener.terminate()
        await redis.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.hasPrefix("latency:"))
        #expect(alive)
    }
}

struct AttackFailureText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
