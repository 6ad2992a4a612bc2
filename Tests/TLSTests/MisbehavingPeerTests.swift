import COpenSSL
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import TLSTestKit
import LibP2PTLS
@testable import LibP2PTLSCertificate
import Testing

/// Our plugin against peers built straight on OpenSSL that break the libp2p TLS
/// rules, in both roles where the rule applies to both.
@Suite struct MisbehavingPeerTests {
    static let bothRoles: [RawTLSPeer.Role] = [.client, .server]

    static func options(_ certificate: TestCertificate) throws -> RawTLSPeer.Options {
        RawTLSPeer.Options(certificate: try certificate.make())
    }

    /// Our side must fail with an error that `matches`.
    func expectRefusal(
        ourRole: RawTLSPeer.Role, raw: RawTLSPeer.Options, expecting: PeerID? = nil, muxers: [String] = [yamux, mplex],
        _ matches: (any Error) -> Bool
    ) async throws {
        let (ours, _) = try await handshakeWithRawPeer(ourRole: ourRole, raw: raw, expecting: expecting, muxers: muxers)
        switch ours {
        case .success(let channel):
            Issue.record("accepted the peer \(channel.remotePeer)")
        case .failure(let error):
            #expect(matches(error), "wrong error: \(error)")
        }
    }

    @Test("a well-behaved raw OpenSSL peer is accepted (the baseline for the refusals)", arguments: bothRoles)
    func baseline(ourRole: RawTLSPeer.Role) async throws {
        let key = PrivateKey.generateEd25519()
        let (ours, raw) = try await handshakeWithRawPeer(
            ourRole: ourRole, raw: try Self.options(TestCertificate(hostKey: key)),
            expecting: ourRole == .client ? key.peerID : nil)
        #expect(try ours.get().remotePeer == key.peerID)
        #expect(try ours.get().earlyMuxer == nil)  // it speaks only "libp2p"
        #expect(try raw.get() == "libp2p")
    }

    @Test("a peer whose extension is critical (rust-libp2p style) is accepted", arguments: bothRoles)
    func criticalExtension(ourRole: RawTLSPeer.Role) async throws {
        let key = PrivateKey.generateEd25519()
        var certificate = TestCertificate(hostKey: key)
        certificate.extensionIsCritical = true
        let (ours, _) = try await handshakeWithRawPeer(ourRole: ourRole, raw: try Self.options(certificate))
        #expect(try ours.get().remotePeer == key.peerID)
    }

    @Test("refused: certificate without the libp2p extension", arguments: bothRoles)
    func missingExtension(ourRole: RawTLSPeer.Role) async throws {
        var certificate = TestCertificate(hostKey: .generateEd25519())
        certificate.includesExtension = false
        try await expectRefusal(ourRole: ourRole, raw: try Self.options(certificate)) {
            $0 as? TLSCertificateError == .missingExtension
        }
    }

    @Test("refused: extension signed by a key other than the host key in it", arguments: bothRoles)
    func foreignSignature(ourRole: RawTLSPeer.Role) async throws {
        var certificate = TestCertificate(hostKey: .generateEd25519())
        certificate.extensionSigner = .generateEd25519()
        try await expectRefusal(ourRole: ourRole, raw: try Self.options(certificate)) {
            $0 as? SecurityError == .invalidSignature
        }
    }

    @Test("refused: expired certificate", arguments: bothRoles)
    func expired(ourRole: RawTLSPeer.Role) async throws {
        var certificate = TestCertificate(hostKey: .generateEd25519())
        certificate.notBefore = -86400
        certificate.notAfter = -3600
        try await expectRefusal(ourRole: ourRole, raw: try Self.options(certificate)) {
            $0 as? TLSCertificateError == .expired
        }
    }

    @Test("refused: two certificates in the chain", arguments: bothRoles)
    func twoCertificates(ourRole: RawTLSPeer.Role) async throws {
        let key = PrivateKey.generateEd25519()
        var raw = try Self.options(TestCertificate(hostKey: key))
        raw.extraChain = [try TestCertificate(hostKey: key).make().certificate]
        try await expectRefusal(ourRole: ourRole, raw: raw) {
            $0 as? TLSCertificateError == .chainLength(2)
        }
    }

    @Test("refused: a valid peer that is not the one dialed")
    func wrongPeer() async throws {
        let dialed = PrivateKey.generateEd25519().peerID
        let answering = PrivateKey.generateEd25519()
        try await expectRefusal(
            ourRole: .client, raw: try Self.options(TestCertificate(hostKey: answering)), expecting: dialed
        ) {
            $0 as? SecurityError == .peerIDMismatch(expected: dialed, actual: answering.peerID)
        }
    }

    @Test("refused: a peer that speaks TLS 1.2 at most", arguments: bothRoles)
    func tls12Only(ourRole: RawTLSPeer.Role) async throws {
        var raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        raw.maxVersion = TLS1_2_VERSION
        let (ours, theirs) = try await handshakeWithRawPeer(ourRole: ourRole, raw: raw)
        guard case .failure(let error) = ours, case .handshakeFailed(let why) = error as? TLSError else {
            Issue.record("expected a TLS handshake failure, got \(ours)")
            return
        }
        // Our server: "unsupported protocol"; our client hears the peer's alert,
        // "tlsv1 alert protocol version".
        #expect(why.contains(ourRole == .server ? "unsupported protocol" : "alert protocol version"), "\(why)")
        #expect(throws: (any Error).self) { try theirs.get() }
    }

    @Test("refused: a client that sends no certificate (the server requires one)")
    func clientWithoutCertificate() async throws {
        let raw = RawTLSPeer.Options(certificate: nil)
        // A TLS 1.3 client finishes its side before the server judges it (the spec's
        // note), so only our side's outcome says anything.
        let (ours, _) = try await handshakeWithRawPeer(ourRole: .server, raw: raw)
        guard case .failure(let error) = ours, case .handshakeFailed(let why) = error as? TLSError else {
            Issue.record("expected a TLS handshake failure, got \(ours)")
            return
        }
        #expect(why.contains("peer did not return a certificate"), "\(why)")
    }

    @Test("refused: a server that selects no ALPN protocol")
    func serverSelectsNoALPN() async throws {
        var raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        raw.selectsALPN = false
        try await expectRefusal(ourRole: .client, raw: raw) { $0 as? TLSError == .noALPN }
    }

    @Test("refused: a client that offers no ALPN protocol")
    func clientOffersNoALPN() async throws {
        var raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        raw.alpnOffer = nil
        try await expectRefusal(ourRole: .server, raw: raw) { $0 as? TLSError == .noALPN }
    }

    @Test("refused: a client offering only muxers we lack, without libp2p (no_application_protocol)")
    func clientOffersNothingWeSupport() async throws {
        var raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        raw.alpnOffer = ["/unknown-muxer/1.0.0"]
        let (ours, theirs) = try await handshakeWithRawPeer(ourRole: .server, raw: raw)
        guard case .failure(let error) = ours, case .handshakeFailed = error as? TLSError else {
            Issue.record("expected a TLS handshake failure, got \(ours)")
            return
        }
        #expect(throws: (any Error).self) { try theirs.get() }
        #expect("\(theirs)".contains("no application protocol"), "\(theirs)")
    }

    @Test("an old client offering only \"libp2p\" gets libp2p, and no early muxer")
    func clientOffersOnlyLibp2p() async throws {
        let raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        let (ours, theirs) = try await handshakeWithRawPeer(ourRole: .server, raw: raw)
        #expect(try ours.get().earlyMuxer == nil)
        #expect(try theirs.get() == "libp2p")
    }

    @Test("a client offering a muxer we support gets it as the early muxer")
    func clientOffersMuxer() async throws {
        var raw = try Self.options(TestCertificate(hostKey: .generateEd25519()))
        raw.alpnOffer = [mplex, "libp2p"]
        let (ours, theirs) = try await handshakeWithRawPeer(ourRole: .server, raw: raw)
        #expect(try ours.get().earlyMuxer == mplex)
        #expect(try theirs.get() == mplex)
    }
}
