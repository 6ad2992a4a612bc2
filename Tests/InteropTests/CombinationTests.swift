import Foundation
import InteropRunner
import LibP2PHost
import LibP2PBuiltins
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

/// Every registered transport × security × muxer, in process: two upgraders over a
/// real TCP pair, checked end to end (peer IDs, negotiated protocols, data both
/// ways on several streams). A newly registered plugin is covered with no new code.
@Suite("Combinations over the registry, in process")
struct CombinationTests {
    static let registry = Registry.builtin()

    @Test("upgrade both sides over real TCP and exchange data", arguments: registry.combinations)
    func combination(_ combination: Combination) async throws {
        print("combination: \(combination)")
        let registry = Self.registry
        let transport = try registry.transport(named: combination.transport)
        let dialerKey = PrivateKey.generateEd25519()
        let listenerKey = PrivateKey.generateEd25519()
        let dialer = try registry.upgrader(security: combination.security, muxer: combination.muxer, identity: dialerKey)
        let listenerSide = try registry.upgrader(security: combination.security, muxer: combination.muxer, identity: listenerKey)
        let listener = try await transport.listen(try transport.listenAddress(ip: "127.0.0.1"))
        let address = try #require(listener.localAddresses.first).appending(.p2p(listenerKey.peerID))
        let muxerID = try registry.muxer(named: combination.muxer).protocolID
        let securityID = try registry.security(named: combination.security).protocolID

        try await withDeadline(.seconds(20), "\(combination)") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Listener: upgrade, then echo every stream until its end.
                group.addTask {
                    let raw = try #require(try await listener.accept())
                    let upgraded = try await listenerSide.upgradeInbound(raw)
                    #expect(upgraded.remotePeer == dialerKey.peerID)
                    #expect(upgraded.muxerID == muxerID)
                    #expect(upgraded.securityID == securityID)
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        inner.addTask { try await upgraded.session.run() }
                        while let stream = try await upgraded.session.acceptStream() {
                            inner.addTask {
                                while let chunk = try await stream.read() { try await stream.write(chunk) }
                                try await stream.closeWrite()
                            }
                        }
                        try await inner.waitForAll()
                    }
                }
                // Dialer: upgrade, then three streams, each echoing 100 KB.
                group.addTask {
                    let raw = try await transport.dial(address)
                    let upgraded = try await dialer.upgradeOutbound(raw, expecting: listenerKey.peerID)
                    #expect(upgraded.remotePeer == listenerKey.peerID)
                    #expect(upgraded.remotePublicKey == listenerKey.publicKey)
                    #expect(upgraded.muxerID == muxerID)
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        inner.addTask { try await upgraded.session.run() }
                        for index in 0..<3 {
                            let stream = try await upgraded.session.openStream()
                            let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                            async let echoed: [UInt8] = {
                                var all: [UInt8] = []
                                while let chunk = try await stream.read() { all += Array(chunk.readableBytesView) }
                                return all
                            }()
                            try await stream.write(ByteBuffer(bytes: payload))
                            try await stream.closeWrite()
                            #expect(try await echoed == payload, "stream \(index) of \(combination)")
                            await stream.close()
                        }
                        await upgraded.session.close()
                        try await inner.waitForAll()
                    }
                }
                try await group.waitForAll()
            }
        }
        await listener.close()
    }
}
