import Foundation
import InteropMatrix
import LibP2PRegistry
import Testing

/// This package's interop binary against py-libp2p's own `/plaintext/2.0.0`
/// (interop/python/peer.py with `security=plaintext`), both roles, through a
/// private Redis, as the harnesses run them.
@Suite("plaintext-interop x py-libp2p", .serialized)
struct PyInteropTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The binary `swift build` put beside the test bundle.
    static var swiftCommand: [String] {
        [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("plaintext-interop").path]
    }

    /// `PY_PEER_PYTHON`, else the venv the main package's scripts/setup-python-peer.sh makes.
    static var pythonCommand: [String]? {
        let env = ProcessInfo.processInfo.environment
        let python = env["PY_PEER_PYTHON"] ?? repoRoot.appendingPathComponent(".venv-pypeer/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        return [python, repoRoot.appendingPathComponent("interop/python/peer.py").path]
    }

    enum Direction: String, CaseIterable, Sendable {
        case swiftDialsPy = "swift dials py"
        case pyDialsSwift = "py dials swift"
    }

    @Test("both roles", arguments: Direction.allCases, ["yamux", "mplex"])
    func pair(direction: Direction, muxer: String) async throws {
        let python = try #require(
            Self.pythonCommand, "the py-libp2p peer is not installed: run ../../scripts/setup-python-peer.sh or set PY_PEER_PYTHON")
        let swift = Self.swiftCommand
        #expect(FileManager.default.isExecutableFile(atPath: swift[0]), "no \(swift[0]): run `swift build --build-tests` first")
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("plaintext-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let redis = try await RedisServer.start()
        let runner = PairRunner(redisAddress: redis.address, timeout: .seconds(45), logDirectory: logs)
        let swiftDials = direction == .swiftDialsPy
        let test = PairTest(
            dialer: swiftDials ? "swift" : "py", listener: swiftDials ? "py" : "swift",
            combination: Combination(transport: "tcp", security: "plaintext", muxer: muxer))
        let outcome = await runner.run(
            test, listenerCommand: swiftDials ? python : swift, dialerCommand: swiftDials ? swift : python)
        await redis.stop()
        // Both peers were built with plaintext as their only security channel, so a
        // pass means /plaintext/2.0.0 was negotiated and carried the test.
        #expect(outcome.passed, "\(test.name): \(outcome.reason ?? "")\n\(outcome.log)")
    }
}
