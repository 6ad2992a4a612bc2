import LibP2PConformance
import LibP2PCore
@testable import LibP2PTLS
@testable import LibP2PTLSCertificate
import Testing

/// One certificate per host identity, reused across connections.
@Suite struct CertificateCacheTests {
    @Test("the same identity gets the same certificate; another identity a new one")
    func reuse() throws {
        let cache = CertificateCache()
        let host = PrivateKey.generateEd25519()
        let first = try cache.certificate(for: host)
        #expect(try cache.certificate(for: host) === first)
        let other = PrivateKey.generateEd25519()
        let second = try cache.certificate(for: other)
        #expect(second !== first)
        #expect(try LibP2PCertificate.verify(chain: [second.der]) == other.publicKey)
        #expect(try cache.certificate(for: other) === second)
    }
}
