import LibP2PConformance
import LibP2PNoise
import Testing

/// The shared security conformance suite on Noise: one test case per check, each run
/// in both roles (see `SecurityConformance`).
@Suite("noise conformance")
struct NoiseConformanceTests {
    @Test(arguments: SecurityConformance.Check.allCases)
    func conformance(_ check: SecurityConformance.Check) async throws {
        try await SecurityConformance(NoiseSecurity()).run(check)
    }
}
