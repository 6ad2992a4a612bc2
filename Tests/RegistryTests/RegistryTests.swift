import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import Testing

// Test doubles for the registry's bookkeeping only: they carry a name and a
// protocol ID, and refuse any real work with `NotAPlugin`.

struct NotAPlugin: Error, Equatable, CustomStringConvertible {
    let name: String
    var description: String { "\(name) is a registry test double" }
}

struct NamedTransport: ByteStreamTransport {
    let name: String
    func canDial(_ address: Multiaddr) -> Bool { false }
    func dial(_ address: Multiaddr) async throws -> any RawConnection { throw NotAPlugin(name: name) }
    func listen(_ address: Multiaddr) async throws -> any Listener { throw NotAPlugin(name: name) }
    func listenAddress(ip: String) throws -> Multiaddr { throw NotAPlugin(name: name) }
}

/// A transport that would secure and multiplex itself (as quic-v1 does).
struct NamedStandaloneTransport: Transport {
    let name: String
    var isStandalone: Bool { true }
    func canDial(_ address: Multiaddr) -> Bool { false }
    func listenAddress(ip: String) throws -> Multiaddr { throw NotAPlugin(name: name) }
    func connect(to address: Multiaddr, upgrader: Upgrader) async throws -> CapableConnection {
        throw NotAPlugin(name: name)
    }
    func listen(on address: Multiaddr, upgrader: Upgrader) async throws -> any ConnectionListener {
        throw NotAPlugin(name: name)
    }
}

struct NamedSecurity: SecurityProtocol {
    let name: String
    let protocolID: String
    func secureOutbound(
        _ stream: any ByteStream, identity: PrivateKey, expecting: PeerID?, muxers: [String]
    ) async throws -> any SecureChannel { throw NotAPlugin(name: name) }
    func secureInbound(
        _ stream: any ByteStream, identity: PrivateKey, muxers: [String]
    ) async throws -> any SecureChannel { throw NotAPlugin(name: name) }
}

struct NamedMuxer: MuxerProtocol {
    let name: String
    let protocolID: String
    func makeSession(over stream: any ByteStream, role: MuxerRole) -> any MuxedConnection { InertConnection(name: name) }
}

/// A session with no streams: `makeSession` cannot throw, so the double returns this.
struct InertConnection: MuxedConnection {
    let name: String
    func run() async throws {}
    func openStream() async throws -> any MuxedStream { throw NotAPlugin(name: name) }
    func acceptStream() async throws -> (any MuxedStream)? { nil }
    func close() async {}
}

@Suite("Registry")
struct RegistryTests {
    static func populated() throws -> Registry {
        var registry = Registry()
        try registry.register(NamedTransport(name: "tcp"))
        try registry.register(NamedTransport(name: "ws"))
        try registry.register(NamedSecurity(name: "noise", protocolID: "/noise"))
        try registry.register(NamedSecurity(name: "tls", protocolID: "/tls/1.0.0"))
        try registry.register(NamedMuxer(name: "yamux", protocolID: "/yamux/1.0.0"))
        try registry.register(NamedMuxer(name: "mplex", protocolID: "/mplex/6.7.0"))
        return registry
    }

    @Test func keepsRegistrationOrder() throws {
        let registry = try Self.populated()
        #expect(registry.transports.map(\.name) == ["tcp", "ws"])
        #expect(registry.securities.map(\.name) == ["noise", "tls"])
        #expect(registry.securities.map(\.protocolID) == ["/noise", "/tls/1.0.0"])
        #expect(registry.muxers.map(\.name) == ["yamux", "mplex"])
        #expect(registry.muxers.map(\.protocolID) == ["/yamux/1.0.0", "/mplex/6.7.0"])
    }

    @Test func orderFollowsRegistrationNotNames() throws {
        var registry = Registry()
        for name in ["zeta", "alpha", "mid"] {
            try registry.register(NamedMuxer(name: name, protocolID: "/\(name)/1"))
        }
        #expect(registry.muxers.map(\.name) == ["zeta", "alpha", "mid"])
    }

    @Test func looksUpByName() throws {
        let registry = try Self.populated()
        #expect(try registry.transport(named: "ws").name == "ws")
        #expect(try registry.security(named: "tls").protocolID == "/tls/1.0.0")
        #expect(try registry.muxer(named: "mplex").protocolID == "/mplex/6.7.0")
    }

    @Test func lookupIsByEnvVarNameNotProtocolID() throws {
        let registry = try Self.populated()
        #expect(throws: RegistryError.self) { try registry.security(named: "/noise") }
        #expect(throws: RegistryError.self) { try registry.muxer(named: "YAMUX") }
    }

    @Test func duplicateNamesAreRefused() throws {
        var registry = try Self.populated()
        #expect(throws: RegistryError.duplicate(kind: .transport, name: "tcp")) {
            try registry.register(NamedTransport(name: "tcp"))
        }
        #expect(throws: RegistryError.duplicate(kind: .security, name: "noise")) {
            try registry.register(NamedSecurity(name: "noise", protocolID: "/noise/other"))
        }
        #expect(throws: RegistryError.duplicate(kind: .muxer, name: "yamux")) {
            try registry.register(NamedMuxer(name: "yamux", protocolID: "/yamux/2.0.0"))
        }
        // A refused registration leaves the registry as it was.
        #expect(registry.transports.count == 2)
        #expect(registry.securities.map(\.protocolID) == ["/noise", "/tls/1.0.0"])
        #expect(registry.muxers.map(\.protocolID) == ["/yamux/1.0.0", "/mplex/6.7.0"])
    }

    @Test func oneNameMayServeDifferentKinds() throws {
        var registry = Registry()
        try registry.register(NamedTransport(name: "quic"))
        try registry.register(NamedSecurity(name: "quic", protocolID: "/quic"))
        try registry.register(NamedMuxer(name: "quic", protocolID: "/quic"))
        #expect(registry.combinations == [Combination(transport: "quic", security: "quic", muxer: "quic")])
    }

    @Test func unknownNameListsWhatIsRegistered() throws {
        let registry = try Self.populated()
        #expect(throws: RegistryError.unknown(kind: .transport, name: "quic-v1", registered: ["tcp", "ws"])) {
            try registry.transport(named: "quic-v1")
        }
        #expect(throws: RegistryError.unknown(kind: .security, name: "plaintext", registered: ["noise", "tls"])) {
            try registry.security(named: "plaintext")
        }
        let error = RegistryError.unknown(kind: .muxer, name: "spdy", registered: ["yamux", "mplex"])
        #expect(throws: error) { try registry.muxer(named: "spdy") }
        #expect(error.description == "unknown muxer 'spdy'; registered: yamux, mplex")
    }

    @Test func unknownNameInAnEmptyRegistry() {
        let registry = Registry()
        #expect(throws: RegistryError.unknown(kind: .muxer, name: "yamux", registered: [])) {
            try registry.muxer(named: "yamux")
        }
        #expect(registry.combinations.isEmpty)
    }

    @Test func duplicateErrorDescribesItself() {
        #expect(RegistryError.duplicate(kind: .security, name: "tls").description
            == "a security named 'tls' is already registered")
    }

    @Test func combinationsRunTransportThenSecurityThenMuxer() throws {
        let registry = try Self.populated()
        let expected: [Combination] = [
            .init(transport: "tcp", security: "noise", muxer: "yamux"),
            .init(transport: "tcp", security: "noise", muxer: "mplex"),
            .init(transport: "tcp", security: "tls", muxer: "yamux"),
            .init(transport: "tcp", security: "tls", muxer: "mplex"),
            .init(transport: "ws", security: "noise", muxer: "yamux"),
            .init(transport: "ws", security: "noise", muxer: "mplex"),
            .init(transport: "ws", security: "tls", muxer: "yamux"),
            .init(transport: "ws", security: "tls", muxer: "mplex"),
        ]
        #expect(registry.combinations == expected)
        #expect(expected[1].description == "tcp, noise, mplex")
    }

    @Test func aStandaloneTransportIsOneCombinationOnItsOwn() throws {
        var registry = try Self.populated()
        try registry.register(NamedStandaloneTransport(name: "quic-v1"))
        let standalone = registry.combinations.filter { $0.transport == "quic-v1" }
        #expect(standalone == [Combination(standalone: "quic-v1")])
        #expect(standalone[0].isStandalone)
        #expect(standalone[0].description == "quic-v1")
        #expect(registry.combinations.count == 9)
        #expect(Combination.standaloneTransportNames.contains("quic-v1"))
    }

    @Test func aStandaloneTransportsPipelineChoosesNoSecurityOrMuxer() throws {
        var registry = try Self.populated()
        try registry.register(NamedStandaloneTransport(name: "quic-v1"))
        let identity = PrivateKey.generateEd25519()
        // A security or muxer named anyway is ignored: the transport brings its own.
        for combination in [Combination(standalone: "quic-v1"), Combination(transport: "quic-v1", security: "noise", muxer: "yamux")] {
            let (transport, upgrader) = try registry.pipeline(for: combination, identity: identity)
            #expect(transport.name == "quic-v1")
            #expect(upgrader.securities.isEmpty && upgrader.muxers.isEmpty)
            #expect(upgrader.localPeer == identity.peerID)
        }
    }

    @Test func aByteStreamTransportsPipelineNeedsASecurityAndAMuxer() throws {
        let registry = try Self.populated()
        let identity = PrivateKey.generateEd25519()
        let (transport, upgrader) = try registry.pipeline(
            for: Combination(transport: "ws", security: "tls", muxer: "mplex"), identity: identity)
        #expect(transport.name == "ws" && !transport.isStandalone)
        #expect(upgrader.securities.map(\.name) == ["tls"] && upgrader.muxers.map(\.name) == ["mplex"])
        let incomplete = Combination(standalone: "tcp")
        #expect(throws: RegistryError.incomplete(incomplete)) { try registry.pipeline(for: incomplete, identity: identity) }
        #expect(RegistryError.incomplete(incomplete).description == "transport 'tcp' needs a security and a muxer; got tcp")
    }

    @Test func noCombinationsWithoutAMuxer() throws {
        var registry = Registry()
        try registry.register(NamedTransport(name: "tcp"))
        try registry.register(NamedSecurity(name: "noise", protocolID: "/noise"))
        #expect(registry.combinations.isEmpty)
    }

    @Test func upgraderHoldsOnlyTheNamedPlugins() throws {
        let registry = try Self.populated()
        let identity = PrivateKey.generateEd25519()
        let upgrader = try registry.upgrader(security: "tls", muxer: "mplex", identity: identity)
        #expect(upgrader.securities.map(\.protocolID) == ["/tls/1.0.0"])
        #expect(upgrader.muxers.map(\.protocolID) == ["/mplex/6.7.0"])
        #expect(upgrader.localPeer == identity.peerID)
        #expect(throws: RegistryError.unknown(kind: .security, name: "ssl", registered: ["noise", "tls"])) {
            try registry.upgrader(security: "ssl", muxer: "yamux", identity: identity)
        }
        #expect(throws: RegistryError.unknown(kind: .muxer, name: "spdy", registered: ["yamux", "mplex"])) {
            try registry.upgrader(security: "noise", muxer: "spdy", identity: identity)
        }
    }
}

/// The upgrader's failure handling, over a real multistream exchange on a
/// MemoryPipe: whatever fails, it names the phase and closes the raw connection.
@Suite("Upgrader failure handling")
struct UpgraderFailureTests {
    @Test func noCommonSecurityFailsBothSidesAndClosesTheConnection() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            let dialer = Upgrader(
                identity: .generateEd25519(), securities: [NamedSecurity(name: "tls", protocolID: "/tls/1.0.0")],
                muxers: [NamedMuxer(name: "yamux", protocolID: "/yamux/1.0.0")])
            let listener = Upgrader(
                identity: .generateEd25519(), securities: [NamedSecurity(name: "noise", protocolID: "/noise")],
                muxers: [NamedMuxer(name: "yamux", protocolID: "/yamux/1.0.0")])
            async let inbound = caughtError { _ = try await listener.upgradeInbound(b) }
            let outbound = await caughtError { _ = try await dialer.upgradeOutbound(a, expecting: nil) }

            let dialerError = try #require(outbound as? UpgradeError)
            #expect(dialerError.phase == .security)
            #expect(dialerError.underlying as? MultistreamError == .noCommonProtocol(["/tls/1.0.0"]))
            #expect(dialerError.description.hasPrefix("security negotiation failed: "))
            // The dialer closed its end, so the listener sees the end of the stream
            // instead of waiting for another proposal.
            let inboundError = await inbound
            let listenerError = try #require(inboundError as? UpgradeError)
            #expect(listenerError.phase == .security)
            #expect(listenerError.underlying is StreamError)
            // Both raw ends are closed now.
            await #expect(throws: StreamError.closed) { try await a.write([1]) }
            await #expect(throws: StreamError.closed) { try await b.write([1]) }
        }
    }

    @Test func aFailingHandshakeClosesTheConnection() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            let security = NamedSecurity(name: "noise", protocolID: "/noise")
            let muxer = NamedMuxer(name: "yamux", protocolID: "/yamux/1.0.0")
            let dialer = Upgrader(identity: .generateEd25519(), securities: [security], muxers: [muxer])
            let listener = Upgrader(identity: .generateEd25519(), securities: [security], muxers: [muxer])
            async let inbound = caughtError { _ = try await listener.upgradeInbound(b) }
            let outbound = await caughtError { _ = try await dialer.upgradeOutbound(a, expecting: nil) }

            // Multistream agreed on /noise; the handshake itself then failed.
            let dialerError = try #require(outbound as? UpgradeError)
            #expect(dialerError.phase == .security)
            #expect(dialerError.underlying as? NotAPlugin == NotAPlugin(name: "noise"))
            let inboundError = await inbound
            let listenerError = try #require(inboundError as? UpgradeError)
            #expect(listenerError.underlying as? NotAPlugin == NotAPlugin(name: "noise"))
            await #expect(throws: StreamError.closed) { try await a.write([1]) }
            await #expect(throws: StreamError.closed) { try await b.write([1]) }
        }
    }
}
