import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import LibP2PTLSCertificate
import NIOCore
import TLSTestKit
import Testing
@testable import LibP2PQUIC

/// Peers presenting bad libp2p certificates inside QUIC's TLS (made with the test
/// kit's independent OpenSSL code): each side refuses with the shared verifier's
/// reason, and the listener keeps serving.
@Suite struct QUICCertificateTests {
    static func credentials(_ certificate: TestCertificate) throws -> QUICCredentials {
        let material = try certificate.make()
        return try QUICCredentials(
            certificateDER: material.certificate, keyDER: material.privateKey, owner: certificate.hostKey.publicKey)
    }

    static func withoutExtension(_ key: PrivateKey) -> TestCertificate {
        var certificate = TestCertificate(hostKey: key)
        certificate.includesExtension = false
        return certificate
    }

    static func forged(_ key: PrivateKey) -> TestCertificate {
        var certificate = TestCertificate(hostKey: key)
        certificate.extensionSigner = PrivateKey.generateEd25519()  // signed by someone else
        return certificate
    }

    @Test("a dialer whose certificate lacks the extension, or carries a forged one, is refused by the listener",
          arguments: ["missing", "forged"])
    func badDialerCertificate(kind: String) async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            let key = PrivateKey.generateEd25519()
            let bad = try Self.credentials(kind == "missing" ? Self.withoutExtension(key) : Self.forged(key))
            let address = pair.listener.localMultiaddr.appending(.p2p(pair.listenerKey.peerID))
            async let refused = pair.listener.accept()
            // In TLS 1.3 the client is done before the server has checked its
            // certificate: the dial may return, and then the listener's
            // bad_certificate alert ends the connection.
            if case .success(let dialed) = await outcome({ try await pair.transport.dial(address, credentials: bad) }) {
                let ended = await #expect(throws: QUICError.self) { try await dialed.run() }
                #expect(ended == .closedByPeer(code: 0x100 + 42, reason: ""))
            }
            let connection = try #require(try await refused)
            let error = await #expect(throws: (any Error).self) { try await connection.waitForHandshake() }
            if kind == "missing" {
                #expect(error as? TLSCertificateError == .missingExtension)
            } else {
                #expect(error as? SecurityError == .invalidSignature)
            }
            try await QUICRefusalTests.expectStillServing(pair)
            await pair.close()
        }
    }

    @Test("a listener whose certificate lacks the extension, or carries a forged one, is refused by the dialer",
          arguments: ["missing", "forged"])
    func badListenerCertificate(kind: String) async throws {
        try await withTimeout(30) {
            let transport = QUICTransport()
            let key = PrivateKey.generateEd25519()
            let bad = try Self.credentials(kind == "missing" ? Self.withoutExtension(key) : Self.forged(key))
            let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1"), credentials: bad)
            let address = listener.localMultiaddr.appending(.p2p(key.peerID))
            let error = await #expect(throws: (any Error).self) {
                _ = try await transport.dial(address, identity: PrivateKey.generateEd25519())
            }
            if kind == "missing" {
                #expect(error as? TLSCertificateError == .missingExtension)
            } else {
                #expect(error as? SecurityError == .invalidSignature)
            }
            await listener.close()
        }
    }
}
