import LibP2PConformance
import LibP2PCore
import NIOCore
@testable import LibP2PQUIC

/// A listener and a dialed connection on 127.0.0.1, both sides authenticated: what
/// most QUIC tests start from. `close()` tears all of it down.
struct QUICPair {
    let listenerKey = PrivateKey.generateEd25519()
    let dialerKey = PrivateKey.generateEd25519()
    let transport: QUICTransport
    let listener: QUICListener
    let client: QUICConnection
    let server: QUICConnection

    static func make(transport: QUICTransport = QUICTransport()) async throws -> QUICPair {
        try await QUICPair(transport: transport)
    }

    private init(transport: QUICTransport) async throws {
        self.transport = transport
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1"), identity: listenerKey)
        self.listener = listener
        let address = listener.localMultiaddr.appending(.p2p(listenerKey.peerID))
        async let accepted = listener.accept()
        client = try await transport.dial(address, identity: dialerKey)
        guard let server = try await accepted else { throw QUICError.connectionClosed }
        try await server.waitForHandshake()
        self.server = server
    }

    func close() async {
        await client.close()
        await server.close()
        await listener.close()
    }
}
