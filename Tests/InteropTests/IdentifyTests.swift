import Foundation
import InteropRunner
import LibP2PHost
import InteropMatrix
import LibP2PCore
import LibP2PRegistry
import Testing

/// A py-libp2p dialer (which asks for identify on every connection) receives our
/// identify answer: it reports our public key, our protocols and our versions.
@Suite("Identify with py-libp2p", .serialized)
struct IdentifyTests {
    @Test("py dialer reads our identify", arguments: ["noise", "tls"])
    func pyReadsOurIdentify(security: String) async throws {
        let python = try #require(Peers.pythonCommand, Comment(rawValue: Peers.missingPython))
        let redis = try await RedisServer.start()
        var runner = PairRunner(redisAddress: redis.address, timeout: .seconds(45), logDirectory: Peers.logDirectory("identify"))
        runner.dialerEnvironment = ["PY_REPORT_IDENTIFY": "1"]
        let test = PairTest(dialer: "py", listener: "swift", combination: Combination(transport: "tcp", security: security, muxer: "yamux"))
        let outcome = await runner.run(test, listenerCommand: Peers.swiftCommand, dialerCommand: python)
        await redis.stop()
        #expect(outcome.passed, "\(outcome.reason ?? "")\n\(outcome.log)")

        let line = try #require(
            outcome.log.split(separator: "\n").first { $0.hasPrefix("IDENTIFY ") },
            "the py dialer printed no IDENTIFY line:\n\(outcome.log)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(line.dropFirst("IDENTIFY ".count).utf8)) as? [String: Any])
        let protocols = report["protocols"] as? [String] ?? []
        #expect(protocols.contains(PingProtocol.id))
        #expect(protocols.contains(IdentifyProtocol.id))
        #expect(report["agentVersion"] as? String == IdentifyProtocol.agentVersion)
        #expect(report["protocolVersion"] as? String == IdentifyProtocol.protocolVersion)

        // The public key must be the one behind the peer ID py connected to.
        let keyHex = try #require(report["publicKey"] as? String)
        let peerIDText = try #require(report["peerId"] as? String)
        let key = try PublicKey(protobuf: bytes(hex: keyHex))
        #expect(key.peerID == (try PeerID(peerIDText)))
        let listenAddrs = report["listenAddrs"] as? [String] ?? []
        #expect(listenAddrs.contains { $0.hasPrefix("/ip4/127.0.0.1/tcp/") }, "listenAddrs: \(listenAddrs)")
        #expect(!listenAddrs.contains { $0.contains("/p2p/") })
        #expect((report["observedAddr"] as? String)?.hasPrefix("/ip4/127.0.0.1/tcp/") == true)
    }

    private func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }
}
