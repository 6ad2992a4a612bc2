import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PTCP
@testable import LibP2PSockets

@Suite struct TCPListenerTests {
    @Test func closeWakesEveryPendingAcceptAndLaterAcceptsReturnNil() async throws {
        let listener = try await TCPTransport().listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        try await withTimeout {
            async let first = listener.accept()
            async let second = listener.accept()
            try await Task.sleep(for: .milliseconds(50))  // let both park
            await listener.close()
            #expect(try await first == nil)
            #expect(try await second == nil)
            #expect(try await listener.accept() == nil)
        }
    }

    @Test func closedListenerRefusesNewConnections() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let address = listener.localAddresses[0]
        await listener.close()
        await #expect(throws: TCPError.connectionRefused(address.description)) {
            try await withTimeout { try await transport.dial(address) }
        }
    }

    @Test func connectionsWaitingForAcceptAreClosedWithTheListener() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        try await withTimeout {
            let client = try await transport.dial(listener.localAddresses[0])
            try await Task.sleep(for: .milliseconds(50))  // the server side gets queued
            await listener.close()
            #expect(try await client.read() == nil, "the unaccepted connection must be closed")
            await client.close()
        }
    }

    @Test func acceptsManyConnectionsInOrderOfArrival() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        try await withTimeout {
            var clients: [any RawConnection] = []
            for i in 0..<10 {
                let client = try await transport.dial(listener.localAddresses[0])
                try await client.write([UInt8(i)])
                clients.append(client)
            }
            for _ in 0..<10 {
                let server = try #require(try await listener.accept())
                let tag = try await readExactly(1, from: server)[0]
                #expect(server.remoteAddress == clients[Int(tag)].localAddress)
                await server.close()
            }
            for client in clients { await client.close() }
        }
        await listener.close()
    }

    /// More peers than the accept queue holds: the listener stops accepting at its
    /// limit (the rest wait in the kernel backlog) and resumes as accept() drains it.
    @Test func peersBeyondTheAcceptQueueLimitAreAcceptedOnceItDrains() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let count = SocketBootstrap.acceptQueueLimit + 16
        try await withTimeout(.seconds(30)) {
            var clients: [any RawConnection] = []
            for _ in 0..<count {
                clients.append(try await transport.dial(listener.localAddresses[0]))
            }
            var accepted: [any RawConnection] = []
            for _ in 0..<count {
                accepted.append(try #require(try await listener.accept()))
            }
            #expect(Set(accepted.map(\.remoteAddress)) == Set(clients.map(\.localAddress)))
            for connection in clients + accepted { await connection.close() }
        }
        await listener.close()
    }

    @Test func portInUseIsAClearError() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let address = listener.localAddresses[0]
        let error = await #expect(throws: TCPError.self) { try await transport.listen(address) }
        guard case .listenFailed(let named, let reason)? = error else {
            Issue.record("expected listenFailed, got \(String(describing: error))")
            return
        }
        #expect(named == address.description)
        #expect(reason.contains("in use"))
        await listener.close()
    }

    @Test func wildcardListenerReportsItsRealPort() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/0.0.0.0/tcp/0"))
        let port = try #require(listener.localAddresses[0].tcpHostPort?.port)
        #expect(port != 0)
        #expect(listener.localAddresses[0].description == "/ip4/0.0.0.0/tcp/\(port)")
        try await withTimeout {
            async let accepted = listener.accept()
            let client = try await transport.dial(try Multiaddr("/ip4/127.0.0.1/tcp/\(port)"))
            let server = try #require(try await accepted)
            #expect(server.remoteAddress == client.localAddress)
            await client.close()
            await server.close()
        }
        await listener.close()
    }

    @Test func dialToAClosedPortFailsFastNamingTheAddress() async throws {
        // Take a free port, then free it again.
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let address = listener.localAddresses[0]
        await listener.close()
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: TCPError.self) {
            try await withTimeout(.seconds(5)) { try await transport.dial(address) }
        }
        #expect(error == .connectionRefused(address.description))
        #expect(error?.description == "cannot dial \(address): connection refused")
        #expect(clock.now - start < .seconds(5))
    }
}
