import LibP2PConformance
import LibP2PTLS
import Testing

/// The shared security conformance suite on TLS: one test case per check, each run
/// in both roles (see `SecurityConformance`).
@Suite("tls conformance")
struct TLSConformanceTests {
    @Test(arguments: SecurityConformance.Check.allCases)
    func conformance(_ check: SecurityConformance.Check) async throws {
        try await SecurityConformance(TLSSecurity()).run(check)
    }
}
