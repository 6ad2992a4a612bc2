import LibP2PConformance
import LibP2PWebSocket
import Testing

@Test(arguments: TransportConformance.Check.allCases)
func wsConformance(_ check: TransportConformance.Check) async throws {
    try await TransportConformance(WebSocketTransport(), listenOn: "/ip4/127.0.0.1/tcp/0/ws").run(check)
}

@Test(arguments: TransportConformance.Check.allCases)
func wssConformance(_ check: TransportConformance.Check) async throws {
    try await TransportConformance(WebSocketTransport(secure: true), listenOn: "/ip4/127.0.0.1/tcp/0/tls/ws").run(check)
}
