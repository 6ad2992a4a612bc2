import Foundation
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PNoise

/// Attacks on the Noise handshake and on its transport frames.
@Suite("Adversarial: Noise", .serialized, .listenerUnderAttack(security: "noise", muxer: "yamux"))
struct NoiseAttacks {
    /// A connection that has chosen `/noise` by multistream, ready for handshake bytes.
    static func afterMultistream(_ listener: AttackedListener) async throws -> (raw: any RawConnection, stream: any ByteStream) {
        let raw = try await Attacker.connect(listener)
        let (_, stream) = try await Multistream.selectOutbound(raw, protocols: [NoiseSecurity().protocolID])
        return (raw, stream)
    }

    @Test("Noise: message 1 of 5 bytes (an ephemeral key needs 32) is refused")
    func badLength() async throws {
        try await AttackedListener.shared.survives { listener in
            let (_, stream) = try await Self.afterMultistream(listener)
            try await stream.write([0x00, 0x05, 1, 2, 3, 4, 5])
            return await Attacker.untilClosed(stream)
        }
    }

    @Test("Noise: a truncated message 1 (10 of 32 bytes, then silence) is dropped at the deadline")
    func truncated() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let (_, stream) = try await Self.afterMultistream(listener)
            try await stream.write([0x00, 0x20] + Array(repeating: 7, count: 10))
            return await Attacker.untilClosed(stream)
        }
    }

    enum BadPayload: String, CaseIterable, Sendable {
        case signsAnotherStaticKey, signedByAnotherIdentity, notProtobuf, tamperedCiphertext
    }

    @Test("Noise: message 3 with a bad payload is refused", arguments: BadPayload.allCases)
    func badPayload(_ bad: BadPayload) async throws {
        try await AttackedListener.shared.survives { listener in
            let (_, stream) = try await Self.afterMultistream(listener)
            var io = HandshakeIO(reader: ByteStreamReader(stream))
            let staticKey = X25519KeyPair.generate()
            var state = HandshakeState(role: .initiator, localStatic: staticKey)
            try await io.send(state.writeMessage(payload: []), what: "message 1")
            _ = try state.readMessage(await io.receive(what: "message 2"))
            let identity = PrivateKey.generateEd25519()
            var payload = PBNoiseHandshakePayload()
            payload.identityKey = Data(identity.publicKey.protobufEncoded)
            payload.identitySig = Data(identity.sign(HandshakePayload.signaturePrefix + staticKey.publicKey))
            var bytes: [UInt8] = try payload.serializedBytes()
            switch bad {
            case .signsAnotherStaticKey:
                payload.identitySig = Data(identity.sign(HandshakePayload.signaturePrefix + X25519KeyPair.generate().publicKey))
                bytes = try payload.serializedBytes()
            case .signedByAnotherIdentity:
                payload.identitySig = Data(PrivateKey.generateEd25519().sign(HandshakePayload.signaturePrefix + staticKey.publicKey))
                bytes = try payload.serializedBytes()
            case .notProtobuf:
                bytes = [0xff, 0xff, 0xff, 0xff]
            case .tamperedCiphertext:
                break
            }
            var message = try state.writeMessage(payload: bytes)
            if bad == .tamperedCiphertext { message[message.count - 1] ^= 1 }
            try await io.send(message, what: "message 3")
            return await Attacker.untilClosed(stream)
        }
    }

    @Test("Noise: garbage after a good handshake (a frame that does not decrypt) is refused")
    func garbageAfterHandshake() async throws {
        try await AttackedListener.shared.survives { listener in
            let (raw, channel) = try await Attacker.noise(listener, muxers: [Attacker.yamuxID])
            // Beside the channel, straight onto the socket: the listener cannot decrypt it.
            try await raw.write([0x00, 0x30] + (0..<48).map { _ in UInt8.random(in: 0...255) })
            return await Attacker.untilClosed(channel)
        }
    }
}
