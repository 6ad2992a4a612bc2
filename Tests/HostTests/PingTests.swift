import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import NIOCore
import Testing

/// The ping client against the listeners the spec allows: one that loops on a
/// stream and one that answers a single ping per stream and closes (as
/// nim-libp2p's does; issue 14), over every registered combination.
@Suite("Ping over the host")
struct PingTests {
    static let combinations = TestHosts.registry.combinations

    @Test("a looping listener: every ping on one stream", arguments: combinations)
    func loopingListener(_ combination: Combination) async throws {
        let listenerHost = try TestHosts.host(combination)
        let dialerHost = try TestHosts.host(combination)
        let streams = try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "ping \(combination)") {
                try await dialerHost.withConnection(to: address) { connection in
                    var pinger = try await Pinger.start(on: connection)
                    for _ in 0..<3 { _ = try await pinger.ping() }
                    await pinger.close()
                    return pinger.streamsOpened
                }
            }
        }
        #expect(streams == 1)
    }

    @Test("a listener that answers one ping per stream and closes", arguments: combinations)
    func onePingListener(_ combination: Combination) async throws {
        let listenerHost = try TestHosts.host(combination)
        listenerHost.handle(PingProtocol.id) { stream, _ in
            var reader = ByteStreamReader(stream)
            let payload = try await reader.readExactly(PingProtocol.payloadSize, what: "ping")
            try await stream.write(payload)
            try await stream.closeWrite()
        }
        let dialerHost = try TestHosts.host(combination)
        let streams = try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "ping \(combination)") {
                try await dialerHost.withConnection(to: address) { connection in
                    var pinger = try await Pinger.start(on: connection)
                    let rtt = try await pinger.ping()
                    #expect(rtt > .zero)
                    _ = try await pinger.ping()
                    await pinger.close()
                    return pinger.streamsOpened
                }
            }
        }
        // The first stream carried the pipelined ping; each later ping needed its own.
        #expect(streams == 3)
    }

    @Test("an echo of other bytes is a failure, not a pass")
    func mismatchedEcho() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        listenerHost.handle(PingProtocol.id) { stream, _ in
            var reader = ByteStreamReader(stream)
            _ = try await reader.readExactly(PingProtocol.payloadSize, what: "ping")
            try await stream.write([UInt8](repeating: 7, count: PingProtocol.payloadSize))
            try await stream.closeWrite()
        }
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "ping") {
                try await dialerHost.withConnection(to: address) { connection in
                    await #expect(throws: PingError.self) { _ = try await Pinger.start(on: connection) }
                }
            }
        }
    }

    @Test("a listener that ends the stream without echoing fails the ping")
    func silentClose() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        listenerHost.handle(PingProtocol.id) { stream, _ in
            var reader = ByteStreamReader(stream)
            _ = try await reader.readExactly(PingProtocol.payloadSize, what: "ping")
            try await stream.closeWrite()
        }
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "ping") {
                try await dialerHost.withConnection(to: address) { connection in
                    await #expect(throws: PingError.self) { _ = try await Pinger.start(on: connection) }
                }
            }
        }
    }
}
