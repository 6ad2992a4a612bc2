import LibP2PRegistry

/// The interop harness's env-var contract, in both forms (`ContractForm`): read
/// from an environment by the binary, written into one by the local matrix, both
/// through the one table of names in `InteropVariable`.
public struct InteropConfig: Sendable, Equatable {
    public var transport: String
    /// nil for a standalone transport (quic-v1), whose tests name no security or muxer.
    public var security: String?
    public var muxer: String?
    public var isDialer: Bool
    public var listenIP: String
    public var redisAddress: String
    public var timeout: Duration
    public var debug: Bool
    /// unified-testing's per-test key; its presence selects the unified form.
    public var testKey: String?

    public var form: ContractForm { testKey == nil ? .classic : .unified }

    /// The combination under test, as the registry and the results name it.
    public var combination: Combination { Combination(transport: transport, security: security, muxer: muxer) }

    /// The Redis list where the listener publishes its address.
    public var redisKey: String {
        testKey.map { "\($0)_listener_multiaddr" } ?? "listenerAddr"
    }

    public static let defaultListenIP = "0.0.0.0"
    public static let defaultTimeout = Duration.seconds(180)

    /// The harnesses' Redis host: `redis` in test-plans, `transport-redis` in unified-testing.
    public static func defaultRedisAddress(for form: ContractForm) -> String {
        form == .classic ? "redis:6379" : "transport-redis:6379"
    }

    public init(
        transport: String, security: String?, muxer: String?, isDialer: Bool,
        listenIP: String = defaultListenIP, redisAddress: String, timeout: Duration = defaultTimeout,
        debug: Bool = false, testKey: String? = nil
    ) {
        self.transport = transport
        self.security = security
        self.muxer = muxer
        self.isDialer = isDialer
        self.listenIP = listenIP
        self.redisAddress = redisAddress
        self.timeout = timeout
        self.debug = debug
        self.testKey = testKey
    }

    /// Reads the contract from an environment, reporting every missing or bad
    /// variable at once.
    public init(environment env: [String: String]) throws {
        var problems: [String] = []
        func required(_ variable: InteropVariable) -> String {
            if let v = variable.value(in: env) { return v }
            problems.append("\(variable.spelled) is not set")
            return ""
        }

        let transport = required(.transport)
        // The harnesses leave both unset for a standalone transport (quic-v1): it
        // secures and multiplexes itself. Given anyway, they are ignored later.
        let standalone = Combination.standaloneTransportNames.contains(transport)
        let security = standalone ? InteropVariable.security.value(in: env) : required(.security)
        let muxer = standalone ? InteropVariable.muxer.value(in: env) : required(.muxer)
        let dialerText = required(.isDialer)
        var isDialer = false
        switch dialerText.lowercased() {
        case "true": isDialer = true
        case "false", "": isDialer = false
        default: problems.append("\(InteropVariable.isDialer.spelled) must be 'true' or 'false', got '\(dialerText)'")
        }

        let testKey = InteropVariable.testKey.value(in: env)
        var timeout = Self.defaultTimeout
        if let text = InteropVariable.timeout.value(in: env) {
            if let seconds = Double(text), seconds > 0, seconds.isFinite {
                timeout = .milliseconds(Int64(seconds * 1000))
            } else {
                problems.append("the test timeout must be a positive number of seconds, got '\(text)'")
            }
        }

        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        self.init(
            transport: transport, security: security, muxer: muxer, isDialer: isDialer,
            listenIP: InteropVariable.listenerIP.value(in: env) ?? Self.defaultListenIP,
            redisAddress: InteropVariable.redisAddress.value(in: env)
                ?? Self.defaultRedisAddress(for: testKey == nil ? .classic : .unified),
            timeout: timeout,
            debug: ["true", "1", "yes"].contains((InteropVariable.debug.value(in: env) ?? "").lowercased()),
            testKey: testKey)
    }

    /// The environment that expresses this configuration in its form, for starting
    /// a peer (the inverse of `init(environment:)`). The timeout is written in whole
    /// seconds, rounded up.
    public func environment() -> [String: String] {
        var env: [String: String] = [:]
        func put(_ variable: InteropVariable, _ value: String) {
            if let name = variable.name(in: form) { env[name] = value }
        }
        put(.transport, transport)
        if let security { put(.security, security) }
        if let muxer { put(.muxer, muxer) }
        put(.isDialer, isDialer ? "true" : "false")
        put(.listenerIP, listenIP)
        put(.redisAddress, redisAddress)
        put(.timeout, "\(max(1, Int((timeout.milliseconds / 1000).rounded(.up))))")
        if debug { put(.debug, "true") }
        if let testKey { put(.testKey, testKey) }
        return env
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "bad configuration: " + problems.joined(separator: "; ") }
}
