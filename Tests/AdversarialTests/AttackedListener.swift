import Foundation
import InteropRunner
import LibP2PBuiltins
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Testing

@testable import InteropMatrix

/// A real `libp2p-interop` listener process (one combination: tcp with a security
/// and a muxer, or a standalone transport such as quic-v1) that published its
/// address through a private Redis, for attackers to abuse over real sockets
/// while honest dialers check it still serves.
final class AttackedListener: Sendable {
    let combination: Combination
    var security: String { combination.security ?? "" }
    var muxer: String { combination.muxer ?? "" }
    let address: Multiaddr
    private let child: ChildProcess
    private let redis: RedisServer
    private let honestHost: LibP2PHost.Host

    @TaskLocal static var current: AttackedListener?

    /// The listener of the suite being run (see `ListenerUnderAttackTrait`).
    static var shared: AttackedListener {
        get throws {
            guard let current else { throw AttackFailure("no listener: the suite needs the .listenerUnderAttack trait") }
            return current
        }
    }

    static func start(_ combination: Combination) async throws -> AttackedListener {
        let redis = try await RedisServer.start()
        let key = "attack-\(UUID().uuidString)"
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("adversarial-\(key)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var environment = [
            "TRANSPORT": combination.transport, "IS_DIALER": "false",
            "LISTENER_IP": "127.0.0.1", "REDIS_ADDR": redis.address, "TEST_KEY": key,
            // Outlives any run of the suite; stop() ends it sooner.
            "TEST_TIMEOUT_SECS": "900",
        ]
        if let security = combination.security { environment["SECURE_CHANNEL"] = security }
        if let muxer = combination.muxer { environment["MUXER"] = muxer }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                command: [binary],
                environment: environment,
                stdout: logs.appendingPathComponent("stdout.log"), stderr: logs.appendingPathComponent("stderr.log"))
        } catch {
            await redis.stop()
            throw error
        }
        do {
            let client = try await RedisClient.connect(address: redis.address, retryFor: .seconds(5))
            let published = try await client.blpop(key: "\(key)_listener_multiaddr", timeout: .seconds(30))
            await client.close()
            guard let published else { throw AttackFailure("the listener published no address: \(child.stderrText)") }
            let address = try Multiaddr(published)
            let (transport, upgrader) = try Registry.builtin().pipeline(for: combination, identity: .generateEd25519())
            let honestHost = try LibP2PHost.Host(transport: transport, upgrader: upgrader)
            return AttackedListener(combination: combination, address: address, child: child, redis: redis, honestHost: honestHost)
        } catch {
            await child.terminate()
            await redis.stop()
            throw error
        }
    }

    private init(combination: Combination, address: Multiaddr, child: ChildProcess, redis: RedisServer, honestHost: LibP2PHost.Host) {
        self.combination = combination
        self.address = address
        self.child = child
        self.redis = redis
        self.honestHost = honestHost
    }

    func stop() async {
        await child.terminate()
        await redis.stop()
    }

    /// `LIBP2P_INTEROP_BIN`, else the binary `swift build` put beside the test bundle.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["LIBP2P_INTEROP_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("libp2p-interop").path
    }

    var pid: Int32 { child.pid }
    var isAlive: Bool { child.isRunning }
    var stderrTail: String { child.stderrText.split(separator: "\n").suffix(10).joined(separator: "\n") }

    /// The listener's resident set, from /proc.
    func residentBytes() throws -> Int {
        try ProcStatus.kilobytes("VmRSS", pid: pid) * 1024
    }

    /// The listener's open file descriptors.
    func openDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// An honest peer's dial, handshake and ping, bounded. Generous: under a
    /// sanitizer on a loaded two-core machine, a listener busy decrypting an
    /// attacker's 16 MiB took over 10 s to serve it (a reachability check, not a
    /// latency one).
    func honestPing(within limit: Duration = .seconds(30)) async throws -> Duration {
        let host = honestHost
        let address = address
        return try await withDeadline(limit, "an honest dial and ping") {
            try await host.withConnection(to: address, identify: .manual) { connection in
                var pinger = try await Pinger.start(on: connection)
                let rtt = try await pinger.ping()
                await pinger.close()
                return rtt
            }
        }
    }

    /// The listener's peer ID (from its published address).
    var peerID: PeerID { address.peerID! }

    /// Its TCP port, for attackers that speak raw TCP.
    var tcpAddress: Multiaddr {
        get throws { try Multiaddr(address.description.components(separatedBy: "/p2p/")[0]) }
    }
}

enum ProcStatus {
    static func kilobytes(_ field: String, pid: Int32) throws -> Int {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            if let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) }) {
                return value
            }
        }
        throw AttackFailure("no \(field) in /proc/\(pid)/status")
    }
}

struct AttackFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Starts one listener for the whole suite it marks and stops it afterwards;
/// the suite's tests find it as `AttackedListener.shared`.
struct ListenerUnderAttackTrait: SuiteTrait, TestScoping {
    let combination: Combination

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let listener = try await AttackedListener.start(combination)
        do {
            try await AttackedListener.$current.withValue(listener) { try await function() }
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }
}

extension Trait where Self == ListenerUnderAttackTrait {
    static func listenerUnderAttack(security: String, muxer: String) -> Self {
        ListenerUnderAttackTrait(combination: Combination(transport: "tcp", security: security, muxer: muxer))
    }

    /// A listener of a standalone transport (quic-v1).
    static func listenerUnderAttack(standalone transport: String) -> Self {
        ListenerUnderAttackTrait(combination: Combination(standalone: transport))
    }
}
