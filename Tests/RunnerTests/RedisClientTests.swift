import Foundation
@testable import InteropMatrix
import LibP2PConformance
import Testing

@testable import InteropRunner

/// Every test runs against its own `redis-server` and is bounded by `withTimeout`.
@Suite struct RedisClientTests {
    @Test func rpushThenBlpopReturnsTheValuesInOrder() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let address = "/ip4/172.17.0.2/tcp/4001/p2p/12D3KooWAbc ✓"
            #expect(try await client.rpush(key: "listenerAddr", value: address) == 1)
            #expect(try await client.rpush(key: "listenerAddr", value: "second") == 2)
            #expect(try await client.blpop(key: "listenerAddr", timeout: .seconds(5)) == address)
            #expect(try await client.blpop(key: "listenerAddr", timeout: .seconds(5)) == "second")
            await client.close()
        }
    }

    @Test func blpopWaitsForAValuePushedLaterByAnotherClient() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let dialer = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let listener = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            async let popped = dialer.blpop(key: "k_listener_multiaddr", timeout: .seconds(10))
            try await Task.sleep(for: .milliseconds(200))
            try await listener.rpush(key: "k_listener_multiaddr", value: "/ip4/127.0.0.1/tcp/1")
            #expect(try await popped == "/ip4/127.0.0.1/tcp/1")
            await dialer.close()
            await listener.close()
        }
    }

    @Test func blpopOnAnEmptyKeyReturnsNilAfterItsTimeout() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let clock = ContinuousClock()
            let start = clock.now
            // 300 ms goes on the wire as 1 s: BLPOP takes whole seconds, and 0 means forever.
            #expect(try await client.blpop(key: "empty", timeout: .milliseconds(300)) == nil)
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(900), "returned after \(elapsed)")
            #expect(elapsed < .seconds(4), "returned after \(elapsed)")
            await client.close()
        }
    }

    @Test func delRemovesAKey() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            try await client.rpush(key: "stale", value: "old address")
            #expect(try await client.del(key: "stale"))
            #expect(try await client.del(key: "stale") == false)
            #expect(try await client.blpop(key: "stale", timeout: .seconds(1)) == nil)
            await client.close()
        }
    }

    @Test func connectRetriesUntilALateServerComesUp() async throws {
        let port = try FreePort.find()
        try await withTimeout(.seconds(30)) {
            async let connecting = RedisClient.connect(address: "127.0.0.1:\(port)", retryFor: .seconds(15))
            try await Task.sleep(for: .milliseconds(600))
            let server = try await RedisServerProcess.start(port: port)
            defer { server.stop() }
            let client = try await connecting
            #expect(try await client.rpush(key: "late", value: "ok") == 1)
            await client.close()
        }
    }

    @Test func connectWithNoServerFailsClearlyAfterTheRetryWindow() async throws {
        let port = try FreePort.find()
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await withTimeout(.seconds(30)) {
            await #expect(throws: RedisError.self) {
                try await RedisClient.connect(address: "127.0.0.1:\(port)", retryFor: .seconds(1))
            }
        }
        let elapsed = clock.now - start
        let description = try #require(error?.description)
        let prefix = "cannot connect to redis at 127.0.0.1:\(port) after "
        #expect(description.hasPrefix(prefix), "\(description)")
        let seconds = Double(description.dropFirst(prefix.count).prefix { $0 != " " })
        #expect(seconds.map { $0 >= 0.8 && $0 < 5 } == true, "\(description)")
        #expect(description.lowercased().contains("refused"), "\(description)")
        #expect(elapsed >= .milliseconds(800) && elapsed < .seconds(5), "gave up after \(elapsed)")
    }

    @Test func serverKilledDuringBlpopFailsTheCommandInsteadOfHanging() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let popping = Task { try await client.blpop(key: "never", timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(300))
            server.stop()
            let error = await #expect(throws: RedisError.self) { try await popping.value }
            guard case .connectionLost(let address, _)? = error else {
                Issue.record("expected connectionLost, got \(String(describing: error))")
                return
            }
            #expect(address == server.address)
            // The client stays failed, promptly.
            await #expect(throws: RedisError.self) { try await client.rpush(key: "k", value: "v") }
            await client.close()
        }
    }

    @Test func closeDuringBlpopEndsItAtOnce() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let popping = Task { try await client.blpop(key: "never", timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(300))
            await client.close()
            await #expect(throws: RedisError.closed(address: server.address)) { try await popping.value }
            await #expect(throws: RedisError.closed(address: server.address)) {
                try await client.rpush(key: "k", value: "v")
            }
            await client.close()
        }
    }

    @Test func cancellingBlpopEndsItAtOnce() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let popping = Task { try await client.blpop(key: "never", timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(300))
            popping.cancel()
            await #expect(throws: CancellationError.self) { try await popping.value }
            await client.close()
        }
    }

    @Test func errorRepliesAreReportedWithTheServersMessage() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        // A string key: list commands on it get WRONGTYPE.
        let devNull = URL(fileURLWithPath: "/dev/null")
        let cli = try ChildProcess(
            command: ["/usr/bin/redis-cli", "-p", String(server.port), "SET", "text", "plain"],
            environment: [:], stdout: devNull, stderr: devNull)
        try #require(await cli.wait(timeout: .seconds(30)) == 0)
        try await withTimeout(.seconds(30)) {
            let client = try await RedisClient.connect(address: server.address, retryFor: .seconds(5))
            let error = await #expect(throws: RedisError.self) { try await client.rpush(key: "text", value: "x") }
            #expect(error?.description.hasPrefix("redis error reply from \(server.address): WRONGTYPE") == true)
            // An error reply leaves the connection usable.
            #expect(try await client.rpush(key: "list", value: "x") == 1)
            await client.close()
        }
    }

    @Test(arguments: [
        ("redis:6379", "redis", 6379),
        ("transport-redis:6379", "transport-redis", 6379),
        ("127.0.0.1:1", "127.0.0.1", 1),
        ("[::1]:6379", "::1", 6379),
    ])
    func parsesHostAndPort(_ text: String, _ host: String, _ port: Int) throws {
        let parsed = try RedisClient.parse(text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["redis", "redis:", ":6379", "redis:0", "redis:65536", "redis:port"])
    func rejectsMalformedAddresses(_ text: String) async throws {
        await #expect(throws: RedisError.invalidAddress(text)) {
            try await RedisClient.connect(address: text, retryFor: .seconds(1))
        }
    }

    @Test func blpopTimeoutIsWholeSecondsRoundedUpAtLeastOne() {
        #expect(RedisClient.wholeSeconds(.zero) == 1)
        #expect(RedisClient.wholeSeconds(.milliseconds(1)) == 1)
        #expect(RedisClient.wholeSeconds(.seconds(1)) == 1)
        #expect(RedisClient.wholeSeconds(.milliseconds(1_001)) == 2)
        #expect(RedisClient.wholeSeconds(.seconds(180)) == 180)
    }
}
