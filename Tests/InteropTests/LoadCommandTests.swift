import Foundation
import LibP2PCore
import Testing

@testable import InteropMatrix

/// `libp2p-interop load` against a real listener process: the JSON line and the exit status.
@Suite("libp2p-interop load", .serialized)
struct LoadCommandTests {
    static func load(_ address: String, _ extra: [String]) async throws -> (ProcessOutput, [String: Any]?) {
        let run = try await ProcessRun.run(
            Peers.swiftCommand,
            arguments: ["load", "--address", address, "--security", "noise", "--muxer", "yamux", "--transport", "tcp"] + extra,
            timeout: .seconds(120))
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        return (run, object)
    }

    @Test("every connection pinged, in both modes, with and without /p2p in the address", arguments: [
        (["--connections", "40", "--concurrency", "8"], true),
        (["--connections", "40", "--concurrency", "8", "--hold"], false),
    ])
    func allPinged(extra: [String], withPeerID: Bool) async throws {
        let redis = try await RedisServer.start()
        let (listener, published) = try await FaultTests.listener(redis: redis)
        let address = withPeerID ? published : published.components(separatedBy: "/p2p/")[0]
        let (run, json) = try await Self.load(address, extra)
        await listener.terminate()
        await redis.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(json?["ok"] as? Int == 40, "stdout: \(run.stdout)")
        #expect(json?["failed"] as? Int == 0)
        #expect((json?["p50Millis"] as? Double ?? 0) > 0)
        #expect((json?["p99Millis"] as? Double ?? 0) >= (json?["p50Millis"] as? Double ?? 0))
        #expect((json?["connectionsPerSecond"] as? Double ?? 0) > 0)
    }

    @Test("connections that fail are counted and make the exit status 1")
    func failuresCounted() async throws {
        let port = try FreePort.find()  // nobody listens there
        let peer = PrivateKey.generateEd25519().peerID
        let (run, json) = try await Self.load("/ip4/127.0.0.1/tcp/\(port)/p2p/\(peer)", ["--connections", "5", "--concurrency", "2"])
        #expect(run.status == 1)
        #expect(json?["ok"] as? Int == 0, "stdout: \(run.stdout)")
        #expect(json?["failed"] as? Int == 5)
    }

    @Test("a listener with another peer ID than the address names: every connection fails")
    func wrongPeer() async throws {
        let redis = try await RedisServer.start()
        let (listener, published) = try await FaultTests.listener(redis: redis)
        let forged = published.components(separatedBy: "/p2p/")[0] + "/p2p/\(PrivateKey.generateEd25519().peerID)"
        let (run, json) = try await Self.load(forged, ["--connections", "3", "--concurrency", "3"])
        await listener.terminate()
        await redis.stop()
        #expect(run.status == 1)
        #expect(json?["failed"] as? Int == 3, "stdout: \(run.stdout)")
        #expect(run.stderr.contains("expected"), "stderr: \(run.stderr)")
    }
}
