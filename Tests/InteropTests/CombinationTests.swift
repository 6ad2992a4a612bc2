import Foundation
import InteropRunner
import LibP2PHost
import LibP2PBuiltins
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

/// Every registered combination, in process: each transport's own connect and
/// listen (over real sockets), checked end to end (peer IDs, negotiated protocols, data both
/// ways on several streams). A newly registered plugin is covered with no new code.
@Suite("Combinations over the registry, in process")
struct CombinationTests {
    static let registry = Registry.builtin()

    @Test("upgrade both sides over real TCP and exchange data", arguments: registry.combinations)
    func combination(_ combination: Combination) async throws {
        print("combination: \(combination)")
        let registry = Self.registry
        let dialerKey = PrivateKey.generateEd25519()
        let listenerKey = PrivateKey.generateEd25519()
        let (transport, dialer) = try registry.pipeline(for: combination, identity: dialerKey)
        let (_, listenerSide) = try registry.pipeline(for: combination, identity: listenerKey)
        try transport.prepare(identity: dialerKey)
        try transport.prepare(identity: listenerKey)
        let listener = try await transport.listen(on: try transport.listenAddress(ip: "127.0.0.1"), upgrader: listenerSide)
        let address = try #require(listener.localAddresses.first).appending(.p2p(listenerKey.peerID))
        // A standalone transport (quic-v1) negotiates neither: both stay nil.
        let muxerID = try combination.muxer.map { try registry.muxer(named: $0).protocolID }
        let securityID = try combination.security.map { try registry.security(named: $0).protocolID }

        try await withDeadline(.seconds(20), "\(combination)") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Listener: upgrade, then echo every stream until its end.
                group.addTask {
                    let accepted = try #require(try await listener.accept())
                    let upgraded = try await accepted.upgrade().upgraded
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
                    let upgraded = try await transport.connect(to: address, upgrader: dialer).upgraded
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
