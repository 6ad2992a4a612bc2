import Foundation
import InteropRunner
import LibP2PRegistry
import Testing

/// Swift against the real py-libp2p 0.8.1 peer (interop/python/peer.py), both
/// directions, every combination both support.
@Suite("Swift x py-libp2p", .serialized)
struct PyInteropTests {
    static let combinations = Registry.builtin().combinations.filter {
        $0.transport == "tcp" && ["noise", "tls"].contains($0.security) && ["yamux", "mplex"].contains($0.muxer)
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
}
