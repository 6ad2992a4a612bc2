import COpenSSL
import LibP2PCore
import TLSTestKit
import Testing

/// Raw OpenSSL clients with bad or missing credentials against a tls/yamux listener.
@Suite("Adversarial: TLS", .serialized, .listenerUnderAttack(security: "tls", muxer: "yamux"))
struct TLSAttacks {
    /// Multistream to `/tls/1.0.0`, then a handshake by a raw OpenSSL client.
    static func connect(_ listener: AttackedListener, _ options: RawTLSPeer.Options) async throws -> (any ByteStream, Bool) {
        let raw = try await Attacker.connect(listener)
        let (_, stream) = try await Multistream.selectOutbound(raw, protocols: ["/tls/1.0.0"])
        let peer = try RawTLSPeer(role: .client, options: options)
        // A TLS 1.3 client finishes its side before the server judges its
        // certificate (the spec's note), so success here proves nothing.
        let finished = (try? await peer.handshake(over: stream)) != nil
        return (stream, finished)
    }

    static func refused(_ options: @escaping @Sendable () throws -> RawTLSPeer.Options) -> @Sendable (AttackedListener) async throws -> CutOff {
        { listener in
            let (stream, _) = try await connect(listener, try options())
            return await Attacker.untilClosed(stream)
        }
    }

    static func certificate(_ adjust: (inout TestCertificate) -> Void = { _ in }) throws -> RawTLSPeer.Options {
        var certificate = TestCertificate(hostKey: .generateEd25519())
        adjust(&certificate)
        return RawTLSPeer.Options(certificate: try certificate.make())
    }

    @Test("TLS: a client without a certificate is refused")
    func noClientCertificate() async throws {
        try await AttackedListener.shared.survives(Self.refused { RawTLSPeer.Options(certificate: nil) })
    }

    @Test("TLS: a certificate without the libp2p extension is refused")
    func missingExtension() async throws {
        try await AttackedListener.shared.survives(Self.refused { try Self.certificate { $0.includesExtension = false } })
    }

    @Test("TLS: an extension signed by another key than the one it names is refused")
    func forgedExtension() async throws {
        try await AttackedListener.shared.survives(
            Self.refused { try Self.certificate { $0.extensionSigner = .generateEd25519() } })
    }

    @Test("TLS: an extension whose value is no SignedKey is refused")
    func garbledExtension() async throws {
        try await AttackedListener.shared.survives(
            Self.refused { try Self.certificate { $0.extensionValue = [0x30, 0x03, 0x04, 0x01, 0x00] } })
    }

    @Test("TLS: a client that speaks TLS 1.2 at most is refused")
    func tls12Only() async throws {
        try await AttackedListener.shared.survives(
            Self.refused {
                var options = try Self.certificate()
                options.maxVersion = TLS1_2_VERSION
                return options
            })
    }

    @Test("control: a well-formed raw client is accepted and left waiting for its muxer, not cut off")
    func control() async throws {
        let listener = try AttackedListener.shared
        let (stream, finished) = try await Self.connect(listener, try Self.certificate())
        #expect(finished)
        // Refusals arrive in well under a second (the cases above); an accepted
        // client hears nothing until it proposes a muxer.
        let heard = await caughtTimeout(.seconds(2)) { await Attacker.untilClosed(stream) }
        #expect(heard == nil, "the listener hung up on a good client")
        await stream.close()
    }
}

/// `body`'s result, or nil when `limit` passes first.
func caughtTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    try? await withDeadline(limit, "waiting") { await body() }
}
