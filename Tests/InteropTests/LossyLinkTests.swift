import Foundation
import InteropRunner
import LibP2PRegistry
import Testing

@testable import InteropMatrix

/// A listener and a dialer in two network namespaces whose link drops 5 % of the
/// packets each way (nftables, random) and, where the kernel has `netem`, delays
/// them 40 ms: the interop test must still pass. Needs root, iproute2 and nftables
/// (`scripts/install-deps.sh` installs both).
@Suite("A lossy link", .serialized, .enabled(if: LossyLink.isSupported, "needs root, iproute2 (`ip`) and nftables (`nft`)"))
struct LossyLinkTests {
    @Test("5 % loss each way (and 40 ms delay where netem exists): the test passes", arguments: [
        Combination(transport: "tcp", security: "noise", muxer: "yamux"),
        Combination(transport: "tcp", security: "tls", muxer: "mplex"),
        Combination(standalone: "quic-v1"),
    ])
    func lossy(_ combination: Combination) async throws {
        let namespaces = try await NetworkNamespaces.create()
        do {
            let delayed = try await LossyLink.degrade(namespaces)
            let redis = try await RedisServer.start(
                host: namespaces.listenerAddress, launcher: namespaces.listenerLauncher,
                bindAddresses: [namespaces.listenerAddress, "127.0.0.1"])
            var runner = PairRunner(redisAddress: redis.address, timeout: .seconds(60), logDirectory: Peers.logDirectory("lossy"))
            runner.listenIP = "0.0.0.0"
            runner.listenerLauncher = namespaces.listenerLauncher
            runner.dialerLauncher = namespaces.dialerLauncher
            let test = PairTest(dialer: "swift", listener: "swift", combination: combination)
            let outcome = await runner.run(test, listenerCommand: Peers.swiftCommand, dialerCommand: Peers.swiftCommand)
            await redis.stop()
            await namespaces.remove()
            #expect(outcome.passed, "\(outcome.reason ?? "")\n\(outcome.log)")
            print("lossy link (\(delayed ? "5 % loss, 40 ms delay" : "5 % loss, no netem for the delay")), \(combination): "
                + "\(outcome.result.map { "\($0.handshakePlusOneRTTMillis) ms / \($0.pingRTTMillis) ms" } ?? "failed")")
        } catch {
            await namespaces.remove()
            throw error
        }
    }
}

enum LossyLink {
    static var isSupported: Bool {
        NetworkNamespaces.isSupported && FileManager.default.isExecutableFile(atPath: ChildProcess.resolve("nft"))
    }

    /// Drops 5 % of the packets arriving in each namespace; adds 40 ms of delay on
    /// each side's interfaces when `tc netem` works. Returns whether the delay is on.
    static func degrade(_ namespaces: NetworkNamespaces) async throws -> Bool {
        var delayed = true
        for namespace in [namespaces.listenerNamespace, namespaces.dialerNamespace] {
            let exec = ["ip", "netns", "exec", namespace]
            try await NetworkNamespaces.run(exec + ["nft", "add", "table", "inet", "lossy"])
            try await NetworkNamespaces.run(
                exec + ["nft", "add", "chain", "inet", "lossy", "input", "{ type filter hook input priority 0; }"])
            try await NetworkNamespaces.run(
                exec + ["nft", "add", "rule", "inet", "lossy", "input", "iifname", "!=", "lo", "numgen", "random", "mod", "100", "<", "5", "drop"])
            // 40 ms on each side's way out; skipped where the kernel lacks netem.
            for device in try await interfaces(in: namespace) where device != "lo" {
                if (try? await NetworkNamespaces.run(
                    ["ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", device, "root", "netem", "delay", "40ms"])) == nil {
                    delayed = false
                }
            }
        }
        return delayed
    }

    static func interfaces(in namespace: String) async throws -> [String] {
        let run = try await ProcessRun.run(["ip", "-n", namespace, "-o", "link", "show"], timeout: .seconds(10))
        // "2: name@if3: <…" → name
        return run.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ":").dropFirst().first.map {
                String($0.trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
            }
        }
    }
}
