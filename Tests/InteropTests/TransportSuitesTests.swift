import LibP2PBuiltins
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import Testing

/// The shared suites run over the registry: the connection-level transport suite on
/// every registered transport (byte-stream ones upgrading with noise and yamux),
/// and the muxer suite on the sessions of every standalone transport's connections
/// and, as the reference those are held to, on tcp/noise/yamux's. A newly
/// registered transport is covered with no new code.
@Suite("Transport suites over the registry")
struct TransportSuitesTests {
    static let registry = Registry.builtin()

    struct Case: Sendable, CustomTestStringConvertible {
        let transport: String
        var testDescription: String { transport }
    }

    static let transports = registry.transports.map { Case(transport: $0.name) }

    /// Every transport × every connection-level check.
    static let connectionCases: [(Case, ConnectionConformance.Check)] = transports.flatMap { t in
        ConnectionConformance.Check.allCases.map { (t, $0) }
    }

    /// The standalone transports, and tcp as the byte-stream reference.
    static let sessionCases: [(Case, MuxerConformance.Check)] =
        registry.transports.filter { $0.isStandalone || $0.name == "tcp" }.flatMap { t in
            MuxerConformance.transportChecks.map { (Case(transport: t.name), $0) }
        }

    /// What a byte-stream transport upgrades with here; a standalone one takes nothing.
    static func choices(for transport: any Transport) throws -> ([any SecurityProtocol], [any MuxerProtocol]) {
        transport.isStandalone ? ([], []) : ([try registry.security(named: "noise")], [try registry.muxer(named: "yamux")])
    }

    @Test("connection-level transport conformance", arguments: connectionCases)
    func connections(_ c: Case, _ check: ConnectionConformance.Check) async throws {
        let transport = try Self.registry.transport(named: c.transport)
        let (securities, muxers) = try Self.choices(for: transport)
        try await ConnectionConformance(
            transport, listenOn: try transport.listenAddress(ip: "127.0.0.1"), securities: securities, muxers: muxers
        ).run(check)
    }

    @Test("muxer conformance on a transport's own sessions", arguments: sessionCases)
    func sessions(_ c: Case, _ check: MuxerConformance.Check) async throws {
        let transport = try Self.registry.transport(named: c.transport)
        let (securities, muxers) = try Self.choices(for: transport)
        try await MuxerConformance(
            connectionsOf: transport, listenOn: try transport.listenAddress(ip: "127.0.0.1"), securities: securities,
            muxers: muxers
        ).run(check)
    }
}
