import LibP2PBuiltins
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Testing

/// The README's host example, as written there, against a listener of our own:
/// a Swift program dials and pings with no Redis and no env vars.
@Test("README: dial and ping with the host library")
func readmeExample() async throws {
    let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
    try await TestHosts.serving(listenerHost) { _, address in
        try await withDeadline(.seconds(20), "the README example") {
            // From README.md, "The host library" (the address is the listener's).
            let registry = Registry.builtin()
            let upgrader = try registry.upgrader(security: "noise", muxer: "yamux", identity: .generateEd25519())
            let host = try Host(transport: try registry.transport(named: "tcp"), upgrader: upgrader)
            let rtt = try await host.withConnection(to: address) { connection in
                var pinger = try await Pinger.start(on: connection)
                return try await pinger.ping()
            }
            #expect(rtt > .zero)
        }
    }
}
