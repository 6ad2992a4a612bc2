import LibP2PConformance
import LibP2PCore
import LibP2PHost
import Testing

/// The ping server's idle bound: a client that stops completing pings loses the stream.
@Suite("Ping server bounds")
struct PingServerBoundsTests {
    @Test("half a ping and then silence ends the server with PingError.idle")
    func partialPingThenSilence() async throws {
        let (client, server) = MemoryPipe.makePair()
        try await client.write(Array(repeating: UInt8(1), count: 16))
        let error = await caughtError {
            try await withDeadline(.seconds(10), "the ping server") {
                try await PingProtocol.serve(server, idleTimeout: .milliseconds(200))
            }
        }
        guard case .idle = error as? PingError else {
            Issue.record("expected PingError.idle, got \(String(describing: error))")
            return
        }
    }

    @Test("echoes the client never reads stall the server's writes, and it gives up")
    func unreadEchoes() async throws {
        // A 1 KiB pipe fills after 32 echoes; the client keeps writing and never reads.
        let (client, server) = MemoryPipe.makePair(capacity: 1024)
        let error = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                for _ in 0..<1000 { guard (try? await client.write(PingProtocol.randomPayload())) != nil else { break } }
                return nil
            }
            let error = await caughtError {
                try await withDeadline(.seconds(10), "the ping server") {
                    try await PingProtocol.serve(server, idleTimeout: .milliseconds(200))
                }
            }
            await client.close()
            group.cancelAll()
            return error
        }
        guard case .idle = error as? PingError else {
            Issue.record("expected PingError.idle, got \(String(describing: error))")
            return
        }
    }

    @Test("a client that keeps pinging is served for longer than the idle bound")
    func busyClientIsServed() async throws {
        let (client, server) = MemoryPipe.makePair()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await PingProtocol.serve(server, idleTimeout: .milliseconds(200)) }
            var reader = ByteStreamReader(client)
            for _ in 0..<10 {
                let payload = PingProtocol.randomPayload()
                try await client.write(payload)
                var echo = try await reader.readExactly(PingProtocol.payloadSize)
                #expect(echo.readBytes(length: PingProtocol.payloadSize) == payload)
                try await Task.sleep(for: .milliseconds(100))
            }
            try await client.closeWrite()
            try await group.next()
        }
    }
}
