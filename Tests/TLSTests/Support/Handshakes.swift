import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import TLSTestKit
import LibP2PTLS

let yamux = "/yamux/1.0.0"
let mplex = "/mplex/6.7.0"

/// Both sides of a handshake between two `TLSSecurity` peers over a MemoryPipe.
struct SwiftPair: Sendable {
    let client: any SecureChannel
    let server: any SecureChannel
    let clientKey: PrivateKey
    let serverKey: PrivateKey
}

/// A handshake between two of our peers; throws the first side's error if either fails.
func handshakePair(
    clientMuxers: [String] = [yamux, mplex], serverMuxers: [String] = [yamux, mplex],
    expecting: ((PrivateKey) -> PeerID?)? = { $0.peerID }
) async throws -> SwiftPair {
    let clientKey = PrivateKey.generateEd25519()
    let serverKey = PrivateKey.generateEd25519()
    let expected = expecting?(serverKey) ?? nil
    let (a, b) = MemoryPipe.makePair()
    async let server = outcome {
        try await TLSSecurity().secureInbound(b, identity: serverKey, muxers: serverMuxers)
    }
    let client = await outcome {
        try await TLSSecurity().secureOutbound(a, identity: clientKey, expecting: expected, muxers: clientMuxers)
    }
    if case .failure = client { await a.close() }
    let serverResult = await server
    if case .failure = serverResult { await b.close() }
    return SwiftPair(client: try client.get(), server: try serverResult.get(), clientKey: clientKey, serverKey: serverKey)
}

/// Our side against a raw OpenSSL peer in the other role, both outcomes returned.
/// Whichever side fails first closes its end so the other never waits forever.
func handshakeWithRawPeer(
    ourRole: RawTLSPeer.Role, raw options: RawTLSPeer.Options, ourKey: PrivateKey = .generateEd25519(),
    expecting: PeerID? = nil, muxers: [String] = [yamux, mplex]
) async throws -> (ours: Result<any SecureChannel, any Error>, raw: Result<String?, any Error>) {
    try await withTimeout {
        let (ours, theirs) = MemoryPipe.makePair()
        async let raw = outcome { () async throws -> String? in
            let peer = try RawTLSPeer(role: ourRole == .client ? .server : .client, options: options)
            do {
                try await peer.handshake(over: theirs)
            } catch {
                await theirs.close()
                throw error
            }
            return peer.selectedALPN
        }
        let result = await outcome { () async throws -> any SecureChannel in
            switch ourRole {
            case .client:
                return try await TLSSecurity().secureOutbound(ours, identity: ourKey, expecting: expecting, muxers: muxers)
            case .server:
                return try await TLSSecurity().secureInbound(ours, identity: ourKey, muxers: muxers)
            }
        }
        if case .failure = result { await ours.close() }
        let rawResult = await raw
        await ours.close()
        await theirs.close()
        return (result, rawResult)
    }
}
