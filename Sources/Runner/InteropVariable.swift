/// The two spellings of the harnesses' contract: test-plans' classic lower-case
/// names (result as one JSON line, Redis key `listenerAddr`) and unified-testing's
/// upper-case ones (`TEST_KEY`, result as a YAML block).
public enum ContractForm: Sendable, Equatable {
    case classic
    case unified
}

/// One env var of the contract under its names in both forms. This table is the
/// only place the names are spelled: `InteropConfig` reads through it and writes
/// through it (the local matrix starts its peers with `InteropConfig.environment`).
public struct InteropVariable: Sendable, Hashable {
    /// unified-testing's name, read first.
    public let unified: String
    /// test-plans' name, the fallback (nil: unified-testing only).
    public let classic: String?
    /// Other spellings accepted when reading, never written (js's `test_timeout_secs`).
    public let aliases: [String]

    init(unified: String, classic: String?, aliases: [String] = []) {
        self.unified = unified
        self.classic = classic
        self.aliases = aliases
    }

    public static let transport = InteropVariable(unified: "TRANSPORT", classic: "transport")
    public static let security = InteropVariable(unified: "SECURE_CHANNEL", classic: "security")
    public static let muxer = InteropVariable(unified: "MUXER", classic: "muxer")
    public static let isDialer = InteropVariable(unified: "IS_DIALER", classic: "is_dialer")
    public static let listenerIP = InteropVariable(unified: "LISTENER_IP", classic: "ip")
    public static let redisAddress = InteropVariable(unified: "REDIS_ADDR", classic: "redis_addr")
    public static let timeout = InteropVariable(
        unified: "TEST_TIMEOUT_SECS", classic: "test_timeout_seconds", aliases: ["test_timeout_secs"])
    public static let testKey = InteropVariable(unified: "TEST_KEY", classic: nil)
    public static let debug = InteropVariable(unified: "DEBUG", classic: "debug")

    /// The names to look up, preferred first.
    public var readingOrder: [String] { [unified] + (classic.map { [$0] } ?? []) + aliases }

    /// The name to write in `form` (nil: the form has no such variable).
    public func name(in form: ContractForm) -> String? {
        switch form {
        case .unified: return unified
        case .classic: return classic
        }
    }

    /// The first non-empty value among the reading names, trimmed.
    public func value(in environment: [String: String]) -> String? {
        for name in readingOrder {
            if let v = environment[name]?.trimmingWhitespace(), !v.isEmpty { return v }
        }
        return nil
    }

    /// How a problem report names it: `SECURE_CHANNEL or security`.
    var spelled: String { ([unified] + (classic.map { [$0] } ?? [])).joined(separator: " or ") }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
