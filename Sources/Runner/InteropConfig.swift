/// The interop harness's env-var contract, in both forms: the classic test-plans
/// names (`transport`, `security`, `is_dialer`, …, result as one JSON line) and the
/// unified-testing names (`TRANSPORT`, `SECURE_CHANNEL`, `IS_DIALER`, …, `TEST_KEY`,
/// result as a YAML block). Upper-case names win; lower-case ones are the fallback.
public struct InteropConfig: Sendable, Equatable {
    public enum Form: Sendable, Equatable {
        case classic
        case unified(testKey: String)
    }

    public var transport: String
    public var security: String
    public var muxer: String
    public var isDialer: Bool
    public var listenIP: String
    public var redisAddress: String
    public var timeout: Duration
    public var debug: Bool
    public var form: Form

    /// The Redis list where the listener publishes its address.
    public var redisKey: String {
        switch form {
        case .classic: return "listenerAddr"
        case .unified(let key): return "\(key)_listener_multiaddr"
        }
    }

    public init(
        transport: String, security: String, muxer: String, isDialer: Bool,
        listenIP: String = "0.0.0.0", redisAddress: String, timeout: Duration = .seconds(180),
        debug: Bool = false, form: Form = .classic
    ) {
        self.transport = transport
        self.security = security
        self.muxer = muxer
        self.isDialer = isDialer
        self.listenIP = listenIP
        self.redisAddress = redisAddress
        self.timeout = timeout
        self.debug = debug
        self.form = form
    }

    /// Reads the contract from an environment, reporting every missing or bad
    /// variable at once.
    public init(environment env: [String: String]) throws {
        func value(_ names: String...) -> String? {
            for name in names {
                if let v = env[name]?.trimmingWhitespace(), !v.isEmpty { return v }
            }
            return nil
        }
        var problems: [String] = []
        func required(_ names: String...) -> String {
            for name in names {
                if let v = env[name]?.trimmingWhitespace(), !v.isEmpty { return v }
            }
            problems.append("\(names.joined(separator: " or ")) is not set")
            return ""
        }

        let transport = required("TRANSPORT", "transport")
        let security = required("SECURE_CHANNEL", "security")
        let muxer = required("MUXER", "muxer")
        let dialerText = required("IS_DIALER", "is_dialer")
        var isDialer = false
        switch dialerText.lowercased() {
        case "true": isDialer = true
        case "false", "": isDialer = false
        default: problems.append("IS_DIALER/is_dialer must be 'true' or 'false', got '\(dialerText)'")
        }

        let testKey = value("TEST_KEY")
        let form: Form = testKey.map { .unified(testKey: $0) } ?? .classic
        let redisDefault = testKey == nil ? "redis:6379" : "transport-redis:6379"

        var timeout = Duration.seconds(180)
        if let text = value("TEST_TIMEOUT_SECS", "test_timeout_seconds", "test_timeout_secs") {
            if let seconds = Double(text), seconds > 0 {
                timeout = .milliseconds(Int64(seconds * 1000))
            } else {
                problems.append("the test timeout must be a positive number of seconds, got '\(text)'")
            }
        }

        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        self.init(
            transport: transport, security: security, muxer: muxer, isDialer: isDialer,
            listenIP: value("LISTENER_IP", "ip") ?? "0.0.0.0",
            redisAddress: value("REDIS_ADDR", "redis_addr") ?? redisDefault,
            timeout: timeout,
            debug: ["true", "1", "yes"].contains((value("DEBUG", "debug") ?? "").lowercased()),
            form: form)
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "bad configuration: " + problems.joined(separator: "; ") }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
