import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import NIOCore
import Testing

/// Identify both ways: each host asks the other on every new connection, and
/// answers when asked; a peer without identify is no failure.
@Suite("Identify between hosts")
struct HostIdentifyTests {
    /// A protocol on the listener that reports what the listener's own identify
    /// request learnt about the dialer: its agent version, or why not.
    static let whoAmI = "/test/who-am-i/1.0.0"

    @Test("dialer and listener each identify the other", arguments: TestHosts.registry.combinations)
    func bothWays(_ combination: Combination) async throws {
        let listenerHost = try TestHosts.host(combination)
        listenerHost.handle(Self.whoAmI) { stream, connection in
            let answer: String
            switch await connection.identified() {
            case .identified(let info)?: answer = info.agentVersion
            case let other: answer = "not identified: \(String(describing: other))"
            }
            try await stream.write(Array(answer.utf8))
            try await stream.closeWrite()
        }
        let dialerHost = try TestHosts.host(combination)
        let (identified, listenerSaw) = try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "identify \(combination)") {
                try await dialerHost.withConnection(to: address) { connection in
                    let outcome = await connection.identified()
                    let stream = try await connection.newStream(Self.whoAmI)
                    var text = ""
                    while let chunk = try await stream.read() { text += String(buffer: chunk) }
                    await stream.close()
                    return (outcome, text)
                }
            }
        }
        guard case .identified(let info)? = identified else {
            Issue.record("the dialer did not identify the listener: \(String(describing: identified))")
            return
        }
        #expect(info.publicKey == listenerHost.identity.publicKey)
        #expect(info.protocols.contains(PingProtocol.id))
        #expect(info.protocols.contains(Self.whoAmI))
        #expect(info.agentVersion == IdentifyProtocol.agentVersion)
        // `/ip4/127.0.0.1/tcp/` or `/ip4/127.0.0.1/udp/`: the transport's own form.
        let listenForm = try TestHosts.registry.transport(named: combination.transport).listenAddress(ip: "127.0.0.1")
        let prefix = listenForm.description.split(separator: "/").prefix(3).map { "/\($0)" }.joined() + "/"
        #expect(info.listenAddresses.contains { $0.description.hasPrefix(prefix) })
        #expect(info.observedAddress?.description.hasPrefix(prefix) == true)
        #expect(listenerSaw == IdentifyProtocol.agentVersion)
    }

    @Test("a peer that answers na to identify: recorded as not supported, pings still work")
    func peerWithoutIdentify() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        listenerHost.removeHandler(IdentifyProtocol.id)
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        let outcome = try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "identify") {
                try await dialerHost.withConnection(to: address, identify: .manual) { connection in
                    var pinger = try await Pinger.start(on: connection)
                    _ = try await pinger.ping()
                    return await connection.identify()
                }
            }
        }
        guard case .notSupported = outcome else {
            Issue.record("expected notSupported, got \(String(describing: outcome))")
            return
        }
    }
}
