import InteropRunner
import LibP2PBuiltins
import LibP2PCore
import Logging
import Testing

/// The perf app's pieces that need no second process: statistics, parameters,
/// the fixed test-plans identity, the Redis forms, and a whole Swift × Swift
/// perf run through Redis in this process.
@Suite("Perf app")
struct PerfAppTests {
    @Test("quartiles interpolate, outliers lie beyond 1.5 × IQR, min and max skip them")
    func statistics() {
        let stats = PerfStatistics(samples: [10, 1, 2, 3, 4, 5, 6, 7, 8, 100])
        #expect(stats.samples == [1, 2, 3, 4, 5, 6, 7, 8, 10, 100])
        #expect(stats.q1 == 3.25)
        #expect(stats.median == 5.5)
        #expect(stats.q3 == 7.75)
        // IQR 4.5: fences at -3.5 and 14.5.
        #expect(stats.outliers == [100])
        #expect(stats.min == 1 && stats.max == 10)
    }

    @Test("one sample and no samples")
    func degenerate() {
        let one = PerfStatistics(samples: [2.5])
        #expect(one.min == 2.5 && one.q1 == 2.5 && one.median == 2.5 && one.max == 2.5 && one.outliers.isEmpty)
        let none = PerfStatistics(samples: [])
        #expect(none.samples.isEmpty && none.median == 0)
    }

    @Test("the YAML blocks are unified-testing's, and parse back")
    func yaml() throws {
        let results = PerfResults(
            upload: PerfStatistics(samples: [2.044, 2.051]), download: PerfStatistics(samples: [1.5]),
            latency: PerfStatistics(samples: [0.5234, 0.61, 0.7]))
        let text = results.yaml
        #expect(text.hasPrefix("upload:\n  iterations: 2\n  min: 2.04\n  q1: 2.05\n"))
        #expect(text.contains("  samples: [2.04, 2.05]\n  unit: Gbps\ndownload:\n"))
        #expect(text.contains("latency:\n  iterations: 3\n  min: 0.523\n"))
        #expect(text.hasSuffix("  outliers: []\n  samples: [0.523, 0.610, 0.700]\n  unit: ms"))
        let parsed = try #require(PerfResults(parsing: "# from go\n" + text))
        #expect(parsed.latency.samples == [0.523, 0.61, 0.7])
        #expect(PerfResults(parsing: "upload:\n  samples: [1]\n") == nil)
        #expect(PerfResults(parsing: text.replacingOccurrences(of: "[0.523,", with: "[x,")) == nil)
    }

    @Test("parameters: unset and null mean the defaults; bad values are all named")
    func parameters() throws {
        #expect(try PerfParameters(environment: [:]) == PerfParameters())
        let nulls = ["UPLOAD_BYTES": "null", "DOWNLOAD_BYTES": "5", "UPLOAD_ITERATIONS": "null", "LATENCY_ITERATIONS": " 7 "]
        let p = try PerfParameters(environment: nulls)
        #expect(p.uploadBytes == 1 << 30 && p.downloadBytes == 5 && p.uploadIterations == 10 && p.latencyIterations == 7)
        #expect(try PerfParameters(environment: p.environment()) == p)
        do {
            _ = try PerfParameters(environment: ["UPLOAD_BYTES": "-1", "DOWNLOAD_ITERATIONS": "many"])
            Issue.record("bad parameters were accepted")
        } catch let error as ConfigError {
            #expect(error.problems.count == 2)
        }
    }

    @Test("the test-plans server's identity is go's all-zero-seed key")
    func fixedIdentity() throws {
        #expect(try PerfTestPlans.serverIdentity().peerID.description == "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN")
    }

    @Test("test-plans' host:port becomes a TCP multiaddr; junk is refused")
    func serverAddress() throws {
        #expect(try PerfTestPlans.tcpAddress("10.0.0.1:4001").description == "/ip4/10.0.0.1/tcp/4001")
        #expect(try PerfTestPlans.tcpAddress("[::1]:4001").description == "/ip6/::1/tcp/4001")
        #expect(try PerfTestPlans.address("10.0.0.1:4001", transport: "quic-v1").description == "/ip4/10.0.0.1/udp/4001/quic-v1")
        #expect(throws: ConfigError.self) { try PerfTestPlans.address("10.0.0.1:4001", transport: "webrtc") }
        #expect(throws: ConfigError.self) { try PerfTestPlans.tcpAddress("10.0.0.1") }
        #expect(throws: ConfigError.self) { try PerfTestPlans.tcpAddress("10.0.0.1:99999") }
        #expect(try PerfTestPlans.address("10.0.0.1:4001", transport: "quic-v1").description == "/ip4/10.0.0.1/udp/4001/quic-v1")
        #expect(try PerfTestPlans.address("[::1]:4001", transport: "quic-v1").description == "/ip6/::1/udp/4001/quic-v1")
        #expect(throws: ConfigError.self) { try PerfTestPlans.address("10.0.0.1:4001", transport: "webrtc") }
    }

    @Test("test-plans' result lines are go's JSON")
    func resultLine() {
        #expect(
            PerfTestPlans.line(type: "final", seconds: .milliseconds(1500), upload: 10, download: 20)
                == #"{"type":"final","timeSeconds":1.5,"uploadBytes":10,"downloadBytes":20}"#)
    }

    @Test("the dialer reads the address a perf listener SETs and one a transport listener RPUSHes")
    func redisForms() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let redis = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
        #expect(try await redis.peekValue(key: "k") == nil)
        try await redis.set(key: "k", value: "/ip4/1.2.3.4/tcp/1")
        #expect(try await redis.peekValue(key: "k") == "/ip4/1.2.3.4/tcp/1")
        try await redis.rpush(key: "l", value: "/ip4/5.6.7.8/tcp/2")
        #expect(try await redis.peekValue(key: "l") == "/ip4/5.6.7.8/tcp/2")
        // Peeking leaves the list for a second reader.
        #expect(try await redis.peekValue(key: "l") == "/ip4/5.6.7.8/tcp/2")
        await redis.close()
    }

    @Test("a Swift perf listener and dialer meet through Redis and report every series")
    func swiftPair() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        var quiet = Logger(label: "perf-test")
        quiet.logLevel = .warning
        let logger = quiet
        let base = InteropConfig(
            transport: "tcp", security: "noise", muxer: "yamux", isDialer: false, listenIP: "127.0.0.1",
            redisAddress: server.address, timeout: .seconds(30), testKey: "perfpair")
        var dialer = base
        dialer.isDialer = true
        let parameters = PerfParameters(
            uploadBytes: 300_000, downloadBytes: 200_000, uploadIterations: 2, downloadIterations: 3, latencyIterations: 4)
        let output = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await PerfRun.run(config: base, parameters: parameters, registry: .builtin(), logger: logger) }
            let output = try await PerfRun.run(config: dialer, parameters: parameters, registry: .builtin(), logger: logger)
            group.cancelAll()
            return output
        }
        let text = try #require(output)
        let results = try #require(PerfResults(parsing: text))
        #expect(results.upload.samples.count == 2 && results.download.samples.count == 3)
        #expect(results.latency.samples.count == 4)
        // Gbit/s are printed with two decimals (the harness's format), so 300 kB moved
        // slowly on a loaded machine may read 0.00; a latency never reads 0.000.
        #expect(results.upload.samples.allSatisfy { $0 >= 0 } && results.latency.samples.allSatisfy { $0 > 0 })
    }
}
