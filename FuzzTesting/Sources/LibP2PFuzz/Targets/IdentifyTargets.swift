import LibP2PCore
import LibP2PHost
import NIOCore

/// An identify message as a peer sends it: length-prefixed protobuf, then its
/// public key and addresses decoded.
enum IdentifyTargets {
    static let all = [identify]

    static let identify = FuzzTarget(
        name: "identify",
        run: { bytes in
            var input = FuzzInput(bytes)
            let stream = ScriptedStream(input.chunks())
            Blocking.run("identify") { _ = try await IdentifyProtocol.read(from: stream) }
        },
        seeds: {
            let key = try! PrivateKey(ed25519Seed: [UInt8](repeating: 9, count: 32))
            let message = try! IdentifyProtocol.message(
                publicKey: key.publicKey, listenAddresses: [try! Multiaddr("/ip4/127.0.0.1/tcp/4001")],
                protocols: ["/ipfs/ping/1.0.0", "/ipfs/id/1.0.0"], observed: try! Multiaddr("/ip4/127.0.0.1/tcp/5555"))
            return [FuzzInput.whole(Array(message.readableBytesView)), [7] + Array(message.readableBytesView)]
        })
}
