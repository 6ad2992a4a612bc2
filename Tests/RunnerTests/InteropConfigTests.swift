import InteropRunner
import Testing

@Suite("Env-var contract")
struct InteropConfigTests {
    @Test("classic lower-case names, with defaults")
    func classic() throws {
        let config = try InteropConfig(environment: [
            "transport": "tcp", "security": "noise", "muxer": "yamux", "is_dialer": "true",
        ])
        #expect(config.transport == "tcp")
        #expect(config.security == "noise")
        #expect(config.muxer == "yamux")
        #expect(config.isDialer)
        #expect(config.listenIP == "0.0.0.0")
        #expect(config.redisAddress == "redis:6379")
        #expect(config.timeout == .seconds(180))
        #expect(config.form == .classic)
        #expect(config.redisKey == "listenerAddr")
    }

    @Test("unified upper-case names win over lower-case ones")
    func unified() throws {
        let config = try InteropConfig(environment: [
            "TRANSPORT": "tcp", "SECURE_CHANNEL": "tls", "MUXER": "mplex", "IS_DIALER": "false",
            "security": "noise", "LISTENER_IP": "10.0.0.2", "TEST_KEY": "abc123",
            "TEST_TIMEOUT_SECS": "42", "DEBUG": "true",
        ])
        #expect(config.security == "tls")
        #expect(config.muxer == "mplex")
        #expect(!config.isDialer)
        #expect(config.listenIP == "10.0.0.2")
        #expect(config.redisAddress == "transport-redis:6379")
        #expect(config.timeout == .seconds(42))
        #expect(config.debug)
        #expect(config.redisKey == "abc123_listener_multiaddr")
    }

    @Test("a standalone transport needs no security or muxer, in either form; tcp still does")
    func standaloneTransport() throws {
        let unified = try InteropConfig(environment: ["TRANSPORT": "quic-v1", "IS_DIALER": "true", "TEST_KEY": "k"])
        #expect(unified.security == nil && unified.muxer == nil)
        #expect(unified.combination.description == "quic-v1")
        #expect(unified.environment()["SECURE_CHANNEL"] == nil && unified.environment()["MUXER"] == nil)
        #expect(try InteropConfig(environment: unified.environment()) == unified)
        let classic = try InteropConfig(environment: ["transport": "quic-v1", "is_dialer": "false"])
        #expect(classic.combination.isStandalone)
        #expect(throws: ConfigError.self) {
            try InteropConfig(environment: ["TRANSPORT": "tcp", "IS_DIALER": "true", "TEST_KEY": "k"])
        }
    }

    @Test("js's test_timeout_secs is accepted")
    func jsTimeoutName() throws {
        let config = try InteropConfig(environment: [
            "transport": "tcp", "security": "noise", "muxer": "yamux", "is_dialer": "false",
            "test_timeout_secs": "7", "redis_addr": "127.0.0.1:7000",
        ])
        #expect(config.timeout == .seconds(7))
        #expect(config.redisAddress == "127.0.0.1:7000")
    }

    @Test("every missing or bad variable is reported at once")
    func problems() {
        do {
            _ = try InteropConfig(environment: ["transport": "tcp", "is_dialer": "maybe", "test_timeout_seconds": "-3"])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            let text = error.description
            #expect(text.contains("SECURE_CHANNEL or security is not set"))
            #expect(text.contains("MUXER or muxer is not set"))
            #expect(text.contains("'maybe'"))
            #expect(text.contains("'-3'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite("Result output")
struct InteropResultTests {
    let result = InteropResult(handshakePlusOneRTTMillis: 5.0123, pingRTTMillis: 0.5896)

    @Test("classic: one flat JSON object with the three-l key")
    func json() {
        #expect(result.classicJSON == #"{"handshakePlusOneRTTMillis": 5.012, "pingRTTMilllis": 0.590}"#)
    }

    @Test("unified: the exact YAML lines the runner greps")
    func yaml() {
        #expect(result.unifiedYAML == "latency:\n  handshake_plus_one_rtt: 5.012\n  ping_rtt: 0.590\n  unit: ms")
    }

    @Test("formatting keeps three decimals", arguments: [(0.0, "0.000"), (12.3456, "12.346"), (1000.0006, "1000.001")])
    func format(value: Double, text: String) {
        let r = InteropResult(handshakePlusOneRTTMillis: value, pingRTTMillis: value)
        #expect(r.classicJSON.contains("\"handshakePlusOneRTTMillis\": \(text),"))
    }
}

/// One table of names serves reading and writing: what the matrix writes for a
/// peer is what the binary reads back, in both forms.
@Suite("Env-var contract, written")
struct InteropEnvironmentTests {
    static let base = InteropConfig(
        transport: "tcp", security: "tls", muxer: "mplex", isDialer: true, listenIP: "127.0.0.1",
        redisAddress: "127.0.0.1:7000", timeout: .seconds(30))

    @Test("unified: upper-case names with TEST_KEY, read back unchanged")
    func unified() throws {
        var config = Self.base
        config.testKey = "k1"
        let env = config.environment()
        #expect(env["TRANSPORT"] == "tcp" && env["SECURE_CHANNEL"] == "tls" && env["MUXER"] == "mplex")
        #expect(env["IS_DIALER"] == "true" && env["TEST_KEY"] == "k1" && env["TEST_TIMEOUT_SECS"] == "30")
        #expect(env.keys.allSatisfy { $0 == $0.uppercased() })
        #expect(try InteropConfig(environment: env) == config)
    }

    @Test("classic: lower-case names, no TEST_KEY, read back unchanged")
    func classic() throws {
        let env = Self.base.environment()
        #expect(env["security"] == "tls" && env["is_dialer"] == "true" && env["redis_addr"] == "127.0.0.1:7000")
        #expect(env["test_timeout_seconds"] == "30" && env["ip"] == "127.0.0.1")
        #expect(env.keys.allSatisfy { $0 == $0.lowercased() })
        #expect(try InteropConfig(environment: env) == Self.base)
    }
}
