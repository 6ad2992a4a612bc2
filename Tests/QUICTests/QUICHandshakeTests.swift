import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing
@testable import LibP2PQUIC

/// Swift × Swift over real UDP sockets: the handshake authenticates both peers.
@Suite struct QUICHandshakeTests {
    @Test("both sides learn the other's host key; a stream carries bytes both ways")
    func handshake() async throws {
        try await withTimeout(20) {
            let pair = try await QUICPair.make()
            #expect(pair.client.remotePublicKey == pair.listenerKey.publicKey)
            #expect(pair.server.remotePublicKey == pair.dialerKey.publicKey)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pair.client.run() }
                group.addTask { try await pair.server.run() }
                let outbound = try await pair.client.openStream()
                try await outbound.write(Array("ping".utf8))
                let inbound = try #require(try await pair.server.acceptStream())
                #expect(try await readExactly(4, from: inbound) == Array("ping".utf8))
                try await inbound.write(Array("pong".utf8))
                try await inbound.closeWrite()
                #expect(try await outbound.readAll() == Array("pong".utf8))
                try await outbound.closeWrite()
                #expect(try await inbound.read() == nil)
                await pair.close()
                try await group.waitForAll()
            }
        }
    }
}
