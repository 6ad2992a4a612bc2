import LibP2PCore

/// The plugins this build knows, by kind, in preference order (the order of
/// `register` calls is the order offered on the wire). Maps the env-var names
/// (`transport=tcp`, `security=noise`, `muxer=yamux`) to plugin values and composes
/// an `Upgrader` from them.
public struct Registry: Sendable {
    public private(set) var transports: [any Transport] = []
    public private(set) var securities: [any SecurityProtocol] = []
    public private(set) var muxers: [any MuxerProtocol] = []

    public init() {}

    public mutating func register(_ transport: any Transport) throws {
        try Self.checkUnique(transport.name, kind: .transport, in: transports.map(\.name))
        transports.append(transport)
    }

    public mutating func register(_ security: any SecurityProtocol) throws {
        try Self.checkUnique(security.name, kind: .security, in: securities.map(\.name))
        securities.append(security)
    }

    public mutating func register(_ muxer: any MuxerProtocol) throws {
        try Self.checkUnique(muxer.name, kind: .muxer, in: muxers.map(\.name))
        muxers.append(muxer)
    }

    public func transport(named name: String) throws -> any Transport {
        guard let found = transports.first(where: { $0.name == name }) else {
            throw RegistryError.unknown(kind: .transport, name: name, registered: transports.map(\.name))
        }
        return found
    }

    public func security(named name: String) throws -> any SecurityProtocol {
        guard let found = securities.first(where: { $0.name == name }) else {
            throw RegistryError.unknown(kind: .security, name: name, registered: securities.map(\.name))
        }
        return found
    }

    public func muxer(named name: String) throws -> any MuxerProtocol {
        guard let found = muxers.first(where: { $0.name == name }) else {
            throw RegistryError.unknown(kind: .muxer, name: name, registered: muxers.map(\.name))
        }
        return found
    }

    /// An upgrader restricted to the named security and muxer, as the interop
    /// harness asks (one combination per test). A nil name chooses none of that
    /// kind: a standalone transport's combination.
    public func upgrader(security: String?, muxer: String?, identity: PrivateKey) throws -> Upgrader {
        Upgrader(
            identity: identity, securities: try security.map { [try self.security(named: $0)] } ?? [],
            muxers: try muxer.map { [try self.muxer(named: $0)] } ?? [])
    }

    /// The upgrader for `combination`, with the transport it names.
    public func pipeline(for combination: Combination, identity: PrivateKey) throws -> (any Transport, Upgrader) {
        let transport = try self.transport(named: combination.transport)
        guard !transport.isStandalone else {
            return (transport, Upgrader(identity: identity, securities: [], muxers: []))
        }
        guard let security = combination.security, let muxer = combination.muxer else {
            throw RegistryError.incomplete(combination)
        }
        return (transport, try upgrader(security: security, muxer: muxer, identity: identity))
    }

    /// Every combination, in preference order: each byte-stream transport ×
    /// security × muxer, and each standalone transport once, on its own.
    public var combinations: [Combination] {
        transports.flatMap { t -> [Combination] in
            if t.isStandalone { return [Combination(standalone: t.name)] }
            return securities.flatMap { s in muxers.map { m in Combination(transport: t.name, security: s.name, muxer: m.name) } }
        }
    }

    private static func checkUnique(_ name: String, kind: PluginKind, in names: [String]) throws {
        if names.contains(name) { throw RegistryError.duplicate(kind: kind, name: name) }
    }
}

/// One transport/security/muxer choice, by env-var names. A standalone
/// transport (quic-v1) has no security and no muxer.
public struct Combination: Sendable, Hashable, CustomStringConvertible {
    public let transport: String
    public let security: String?
    public let muxer: String?

    public init(transport: String, security: String, muxer: String) {
        self.transport = transport
        self.security = security
        self.muxer = muxer
    }

    /// A standalone transport's combination.
    public init(standalone transport: String) {
        self.transport = transport
        self.security = nil
        self.muxer = nil
    }

    /// Builds whichever kind the names say: both nil is a standalone transport's.
    public init(transport: String, security: String?, muxer: String?) {
        self.transport = transport
        self.security = security
        self.muxer = muxer
    }

    public var isStandalone: Bool { security == nil && muxer == nil }

    /// The transports the interop harnesses treat as standalone (they bring their
    /// own security and streams, and their tests name no security or muxer),
    /// used where only names are known (other implementations' declarations).
    public static let standaloneTransportNames: Set<String> = ["quic", "quic-v1", "webtransport", "webrtc", "webrtc-direct", "https"]

    /// test-plans' spelling in a test name: `tcp, noise, yamux`, or `quic-v1` alone.
    public var description: String {
        [transport, security, muxer].compactMap { $0 }.joined(separator: ", ")
    }
}

public enum PluginKind: String, Sendable {
    case transport
    case security
    case muxer
}

public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unknown(kind: PluginKind, name: String, registered: [String])
    case duplicate(kind: PluginKind, name: String)
    /// A byte-stream transport's combination that lacks a security or a muxer.
    case incomplete(Combination)

    public var description: String {
        switch self {
        case .unknown(let kind, let name, let registered):
            return "unknown \(kind.rawValue) '\(name)'; registered: \(registered.joined(separator: ", "))"
        case .duplicate(let kind, let name):
            return "a \(kind.rawValue) named '\(name)' is already registered"
        case .incomplete(let combination):
            return "transport '\(combination.transport)' needs a security and a muxer; got \(combination)"
        }
    }
}
