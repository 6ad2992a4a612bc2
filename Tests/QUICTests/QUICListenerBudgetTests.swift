import LibP2PConformance
import LibP2PCore
import NIOCore
import TLSTestKit
import Testing
@testable import LibP2PQUIC

/// A listener that turns a dialer away tells it (CONNECTION_REFUSED), so the dial
/// fails at once with a clear error instead of retransmitting until its handshake
/// timeout, or, its own handshake done, idling out on its first stream.
@Suite struct QUICListenerBudgetTests {
    @Test("dials past the listener's budget are refused at once; those within it succeed")
    func dialsPastTheBudget() async throws {
        try await withTimeout(60) {
            var listening = QUICTransport()
            listening.listenerBudget = QUICListener.Budget(maxHandshaking: 2, acceptBacklog: 2)
            let listenerKey = PrivateKey.generateEd25519()
            let listener = try await listening.listen(try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1"), identity: listenerKey)
            let address = listener.localMultiaddr.appending(.p2p(listenerKey.peerID))
            // A handshake timeout far beyond the test's bound: a refusal that is not
            // heard shows up as the test's timeout or a handshakeTimeout, never a pass.
            let dialing = QUICTransport(handshakeTimeout: .seconds(120))
            let dialerKey = PrivateKey.generateEd25519()
            // Nobody calls accept(): the first two fill the backlog for good, so
            // every later dial is past the budget, whatever the order of arrival.
            let outcomes = await withTaskGroup(of: Result<QUICConnection, any Error>.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        do { return .success(try await dialing.dial(address, identity: dialerKey)) } catch { return .failure(error) }
                    }
                }
                var outcomes: [Result<QUICConnection, any Error>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let connected = outcomes.compactMap { try? $0.get() }
            let errors = outcomes.compactMap { outcome -> (any Error)? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(connected.count == 2)
            #expect(errors.count == 4)
            for error in errors { #expect(error as? QUICError == .refused, "\(error)") }
            let statistics = listener.statistics
            #expect(statistics.started == 2)
            // Either budget, by timing (the first two may still be in their handshake);
            // at least 4, as a dialer may resend its Initial before the refusal arrives.
            #expect(statistics.refusedHandshaking + statistics.refusedBacklog >= 4)
            for connection in connected { await connection.close() }
            await listener.close()
        }
    }

    @Test("a connection the listener closes during its handshake is refused: the dialer hears CONNECTION_REFUSED")
    func closedDuringItsHandshake() async throws {
        try await withTimeout(60) {
            let listenerKey = PrivateKey.generateEd25519()
            let listener = try await QUICTransport().listen(
                try Multiaddr("/ip4/127.0.0.1/udp/0/quic-v1"), identity: listenerKey)
            let peer = try await RawUDPPeer.bind()
            // A client engine driven by hand: its Initial goes out, its Finished never
            // does, so the listener's side is still in its handshake when it is closed
            // (as the host closes a connection it sheds or gives up on).
            let key = PrivateKey.generateEd25519()
            let material = try TestCertificate(hostKey: key).make()
            let credentials = try QUICCredentials(
                certificateDER: material.certificate, keyDER: material.privateKey, owner: key.publicKey)
            let client = try QUICEngine.client(
                path: QUICPath(local: peer.channel.localAddress!, remote: listener.localAddress), expecting: listenerKey.peerID,
                credentials: credentials, limits: QUICEngine.Limits(), now: QUICClock.now)
            var initial: [QUICDatagram] = []
            _ = client.writePackets(now: QUICClock.now, into: &initial)
            for datagram in initial {
                try await peer.send(Array(buffer: datagram.bytes), to: listener.localAddress)
            }
            guard let server = try await listener.accept() else { throw QUICError.connectionClosed }
            #expect(server.remotePublicKey == nil)  // still in its handshake
            server.closeNow()
            // The server's first flight, then its CONNECTION_CLOSE; without the close
            // only retransmissions would come, and the test's bound would end it.
            while client.terminated == nil, let datagram = try await peer.received.next() {
                client.receive(datagram, now: QUICClock.now)
            }
            #expect(client.terminated.flatMap { $0 } as? QUICError == .refused)
            await peer.close()
            await listener.close()
        }
    }

    @Test("a dial's socket does not share its port: no SO_REUSEADDR")
    func dialSocketIsNotReusable() async throws {
        try await withTimeout(30) {
            let pair = try await QUICPair.make()
            let reuse = try await pair.client.channel.getOption(.socketOption(.so_reuseaddr)).get()
            #expect(reuse == 0)
            await pair.close()
        }
    }
}
