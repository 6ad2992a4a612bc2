import LibP2PConformance
import LibP2PCore
@testable import LibP2PNoise
import NIOCore

/// Noise: the handshake as responder and as initiator, and the transport frames.
///
/// Each handshake target has two modes (the input's first byte, even or odd). Raw:
/// the rest is the peer's wire bytes as they are, framing included, which exercises
/// the framing and the first message's checks (later messages cannot decrypt).
/// Scripted: a real peer with a fixed static key runs its half of the handshake and
/// sends the rest of the input as its (encrypted) identity payload, so the fuzzer
/// reaches the payload parser, the key parser, the signature check and early muxer
/// negotiation behind the encryption.
enum NoiseTargets {
    static let all = [responder, initiator, transport]

    static let identity = try! PrivateKey(ed25519Seed: [UInt8](repeating: 1, count: 32))
    static let peerIdentity = try! PrivateKey(ed25519Seed: [UInt8](repeating: 2, count: 32))
    static let peerStatic = try! X25519KeyPair(privateKey: [UInt8](repeating: 3, count: 32))
    static let ourStatic = try! X25519KeyPair(privateKey: [UInt8](repeating: 4, count: 32))
    static let muxers = ["/yamux/1.0.0", "/mplex/6.7.0"]

    static let responder = FuzzTarget(
        name: "noise-responder",
        run: { bytes in
            var input = FuzzInput(bytes)
            if input.byte() & 1 == 0 {
                let stream = ScriptedStream(input.chunks())
                Blocking.run("noise responder, raw") { _ = try await ours.runResponder(over: stream) }
            } else {
                let payload = input.rest()
                Blocking.run("noise responder, scripted") {
                    try await handshake(ours: { try await ours.runResponder(over: $0) }, peer: { try await initiatorPeer(on: $0, payload: payload) })
                }
            }
        },
        seeds: { handshakeSeeds() })

    static let initiator = FuzzTarget(
        name: "noise-initiator",
        run: { bytes in
            var input = FuzzInput(bytes)
            if input.byte() & 1 == 0 {
                let stream = ScriptedStream(input.chunks())
                Blocking.run("noise initiator, raw") { _ = try await ours.runInitiator(over: stream, expecting: nil) }
            } else {
                let payload = input.rest()
                Blocking.run("noise initiator, scripted") {
                    try await handshake(ours: { try await ours.runInitiator(over: $0, expecting: nil) }, peer: { try await responderPeer(on: $0, payload: payload) })
                }
            }
        },
        seeds: { handshakeSeeds() })

    /// Transport frames into an established channel (fixed keys, no handshake per
    /// input). Even first byte: the rest is raw wire bytes. Odd: the rest is a list of
    /// (1-byte length, plaintext) that a peer with the right key encrypts and frames,
    /// so reads get past decryption; a trailing partial frame checks the end of input.
    static let transport = FuzzTarget(
        name: "noise-transport",
        run: { bytes in
            var input = FuzzInput(bytes)
            let wire: [[UInt8]]
            if input.byte() & 1 == 0 {
                wire = input.chunks()
            } else {
                var sender = CipherState(key: transportKey)
                var frames: [UInt8] = []
                while !input.isEmpty {
                    let plaintext = input.take(Int(input.byte()) * 4)
                    let ciphertext = try! sender.encrypt(ad: [], plaintext: plaintext)
                    frames += [UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xFF)] + ciphertext
                }
                wire = [frames]
            }
            let stream = ScriptedStream(wire)
            let channel = try! NoiseSecureChannel(
                reader: ByteStreamReader(stream), send: CipherState(key: transportKey), receive: CipherState(key: transportKey),
                localPeer: identity.peerID, remote: RemoteIdentity(publicKey: peerIdentity.publicKey, muxers: []), earlyMuxer: nil)
            Blocking.run("noise transport") {
                while try await channel.read() != nil {}
            }
        },
        seeds: { [[0], [1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 3] + [UInt8](repeating: 0x61, count: 12), [1, 255] + [UInt8](repeating: 0x62, count: 1020)] })

    static let transportKey = [UInt8](repeating: 5, count: 32)

    static var ours: NoiseHandshake {
        var handshake = NoiseHandshake(identity: identity, muxers: muxers)
        handshake.localStatic = ourStatic
        return handshake
    }

    /// Our side and the scripted peer over an in-memory pipe; whichever fails first
    /// closes its end, which ends the other.
    static func handshake(
        ours: @escaping @Sendable (any ByteStream) async throws -> NoiseSecureChannel,
        peer: @escaping @Sendable (any ByteStream) async throws -> Void
    ) async throws {
        let (local, remote) = MemoryPipe.makePair()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let channel = try await ours(local)
                    await channel.close()
                } catch {
                    await local.close()
                }
            }
            group.addTask {
                do { try await peer(remote) } catch {}
                await remote.close()
            }
        }
    }

    /// The initiator's half: an honest message 1, then `payload` in message 3.
    static func initiatorPeer(on stream: any ByteStream, payload: [UInt8]) async throws {
        var io = HandshakeIO(reader: ByteStreamReader(stream))
        var state = HandshakeState(role: .initiator, localStatic: peerStatic)
        try await io.send(state.writeMessage(payload: []), what: "message 1")
        _ = try state.readMessage(await io.receive(what: "message 2"))
        try await io.send(state.writeMessage(payload: payload), what: "message 3")
    }

    /// The responder's half: read message 1, then `payload` in message 2; read message 3.
    static func responderPeer(on stream: any ByteStream, payload: [UInt8]) async throws {
        var io = HandshakeIO(reader: ByteStreamReader(stream))
        var state = HandshakeState(role: .responder, localStatic: peerStatic)
        _ = try state.readMessage(await io.receive(what: "message 1"))
        try await io.send(state.writeMessage(payload: payload), what: "message 2")
        _ = try state.readMessage(await io.receive(what: "message 3"))
    }

    /// Valid payloads (scripted mode) and a raw first message.
    static func handshakeSeeds() -> [[UInt8]] {
        let withMuxers = try! HandshakePayload.make(identity: peerIdentity, noiseStaticKey: peerStatic.publicKey, muxers: ["/mplex/6.7.0"])
        let without = try! HandshakePayload.make(identity: peerIdentity, noiseStaticKey: peerStatic.publicKey, muxers: [])
        var first = HandshakeState(role: .initiator, localStatic: peerStatic)
        let message1 = try! first.writeMessage(payload: [])
        return [[1] + withMuxers, [1] + without, [0, 0, 0, 32] + message1]
    }
}
