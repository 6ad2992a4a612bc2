import LibP2PConformance
import PlaintextSecurity
import Testing

/// The security conformance suite, one line, as for the built-in plugins.
@Test(arguments: SecurityConformance.Check.allCases)
func conformance(_ check: SecurityConformance.Check) async throws {
    try await SecurityConformance(PlaintextSecurity()).run(check)
}
