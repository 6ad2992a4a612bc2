import LibP2PConformance
import LibP2PTCP
import Testing

/// The shared transport conformance suite on TCP over IPv4 loopback: one test case
/// per check (see `TransportConformance`).
@Suite("tcp conformance")
struct TCPConformanceTests {
    @Test(arguments: TransportConformance.Check.allCases)
    func conformance(_ check: TransportConformance.Check) async throws {
        try await TransportConformance(TCPTransport(), listenOn: "/ip4/127.0.0.1/tcp/0").run(check)
    }
}
