import Foundation
import InteropRunner
import LibP2PBuiltins
import InteropMatrix
import LibP2PRegistry
import Testing

/// Swift against the real py-libp2p 0.8.1 peer (interop/python/peer.py), both
/// directions, every combination both support.
@Suite("Swift x py-libp2p", .serialized)
struct PyInteropTests {
    static let combinations = Registry.builtin().combinations.filter {
        $0.transport == "quic-v1"
            || ($0.transport == "tcp" && ["noise", "tls"].contains($0.security) && ["yamux", "mplex"].contains($0.muxer))
    }

    enum Direction: String, CaseIterable, Sendable {
        case swiftDialsPy = "swift dials py"
        case pyDialsSwift = "py dials swift"
    }

    @Test("both directions", arguments: Direction.allCases, combinations)
    func pair(direction: Direction, combination: Combination) async throws {
        let python = try #require(Peers.pythonCommand, Comment(rawValue: Peers.missingPython))
        let redis = try await RedisServer.start()
        let runner = PairRunner(redisAddress: redis.address, timeout: .seconds(45), logDirectory: Peers.logDirectory("py"))
        let (dialer, listener) = direction == .swiftDialsPy ? (Peers.swiftCommand, python) : (python, Peers.swiftCommand)
        let test = PairTest(
            dialer: direction == .swiftDialsPy ? "swift" : "py", listener: direction == .swiftDialsPy ? "py" : "swift",
            combination: combination)
        let outcome = await runner.run(test, listenerCommand: listener, dialerCommand: dialer)
        await redis.stop()
        #expect(outcome.passed, "\(test.name): \(outcome.reason ?? "")\n\(outcome.log)")
    }

    /// A non-Ed25519 key crossing the wire: the py side uses secp256k1 (`16Uiu2…`).
    @Test("py with a secp256k1 key, both directions", arguments: Direction.allCases, ["noise", "tls"])
    func secp256k1(direction: Direction, security: String) async throws {
        let python = try #require(Peers.pythonCommand, Comment(rawValue: Peers.missingPython))
        let redis = try await RedisServer.start()
        var runner = PairRunner(redisAddress: redis.address, timeout: .seconds(45), logDirectory: Peers.logDirectory("secp"))
        runner.listenerEnvironment = ["PY_KEY_TYPE": "secp256k1"]
        runner.dialerEnvironment = ["PY_KEY_TYPE": "secp256k1"]
        let swiftDials = direction == .swiftDialsPy
        let test = PairTest(
            dialer: swiftDials ? "swift" : "py", listener: swiftDials ? "py" : "swift",
            combination: Combination(transport: "tcp", security: security, muxer: "yamux"))
        let outcome = await runner.run(
            test, listenerCommand: swiftDials ? python : Peers.swiftCommand, dialerCommand: swiftDials ? Peers.swiftCommand : python)
        await redis.stop()
        #expect(outcome.passed, "\(test.name): \(outcome.reason ?? "")\n\(outcome.log)")
        // The Swift side logged the py peer's secp256k1 peer ID.
        #expect(outcome.log.contains("peer=16Uiu2"), "no secp256k1 peer ID in the log:\n\(outcome.log)")
    }
}

/// Issue 14: a listener that answers one ping per stream and closes it (nim's
/// behaviour, allowed by the spec). The py peer does so with `PY_PING_ONCE=1`;
/// our dialer must pass against it in every combination.
@Suite("Swift dialer x one-ping py listener", .serialized)
struct OnePingListenerTests {
    @Test("Swift dials a py listener that answers one ping per stream", arguments: PyInteropTests.combinations)
    func onePing(combination: Combination) async throws {
        let python = try #require(Peers.pythonCommand, Comment(rawValue: Peers.missingPython))
        let redis = try await RedisServer.start()
        var runner = PairRunner(redisAddress: redis.address, timeout: .seconds(45), logDirectory: Peers.logDirectory("ping-once"))
        runner.listenerEnvironment = ["PY_PING_ONCE": "1"]
        let test = PairTest(dialer: "swift", listener: "py-ping-once", combination: combination)
        let outcome = await runner.run(test, listenerCommand: python, dialerCommand: Peers.swiftCommand)
        await redis.stop()
        #expect(outcome.passed, "\(test.name): \(outcome.reason ?? "")\n\(outcome.log)")
        // The second ping needed a stream of its own.
        #expect(outcome.log.contains("pingStreams=2"), "log:\n\(outcome.log)")
    }
}
