import Foundation
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization
import Testing

@testable import LibP2PNoise

@Suite("libp2p Noise handshake")
struct HandshakeTests {
    @Test("both roles authenticate each other over a memory pipe")
    func fullHandshake() async throws {
        let run = HandshakeRun()
        let (initiator, responder) = try await run.channels()
        #expect(initiator.localPeer == run.initiatorIdentity.peerID)
        #expect(initiator.remotePeer == run.responderIdentity.peerID)
        #expect(initiator.remotePublicKey == run.responderIdentity.publicKey)
        #expect(responder.localPeer == run.responderIdentity.peerID)
        #expect(responder.remotePeer == run.initiatorIdentity.peerID)
        #expect(responder.remotePublicKey == run.initiatorIdentity.publicKey)

        try await withTimeout {
            try await initiator.write(Array("hello from the dialer".utf8))
            try await responder.write(Array("hello from the listener".utf8))
            #expect(try await readExactly(21, from: responder) == Array("hello from the dialer".utf8))
            #expect(try await readExactly(23, from: initiator) == Array("hello from the listener".utf8))
        }
    }

    @Test("a dial without an expected peer ID accepts whoever answers")
    func noExpectedPeer() async throws {
        var run = HandshakeRun()
        run.expecting = .some(nil)
        let (initiator, _) = try await run.channels()
        #expect(initiator.remotePeer == run.responderIdentity.peerID)
    }

    @Test("each side writes each handshake message in one write, and no more")
    func oneWritePerMessage() async throws {
        let run = HandshakeRun()
        let tap = Mutex<WireTap?>(nil)
        let outcome = try await run.run { stream in
            let wireTap = WireTap(stream)
            tap.withLock { $0 = wireTap }
            return wireTap
        }
        _ = try outcome.initiator.get()
        _ = try outcome.responder.get()
        let sizes = try #require(tap.withLock { $0 }).writeSizes
        // Message 1: length + ephemeral key. Message 3: length + encrypted static key + payload.
        #expect(sizes.count == 2)
        #expect(sizes.first == 2 + 32)
    }

    @Test("a responder with another peer ID is refused")
    func wrongPeer() async throws {
        var run = HandshakeRun()
        let other = PrivateKey.generateEd25519().peerID
        run.expecting = .some(other)
        let outcome = try await run.run()
        #expect(throws: SecurityError.peerIDMismatch(expected: other, actual: run.responderIdentity.peerID)) {
            try outcome.initiator.get()
        }
        // The dialer hung up before message 3.
        #expect(throws: StreamError.unexpectedEOF("handshake message 3")) { try outcome.responder.get() }
    }

    @Test("a stream that ends mid-handshake is an error, never a hang", arguments: [
        (WireTap.Attack.truncate(write: 1), "initiator cuts message 1"),
        (WireTap.Attack.truncate(write: 2), "initiator cuts message 3"),
    ])
    func truncatedByInitiator(_ attack: WireTap.Attack, _ label: String) async throws {
        let outcome = try await HandshakeRun().run { WireTap($0, attack: attack) }
        #expect(throws: (any Error).self, "\(label)") { try outcome.responder.get() }
        if case .failure(let error) = outcome.responder {
            #expect(error is StreamError, "\(label): \(error)")
        }
    }

    @Test("the initiator sees the end of stream when the responder vanishes", arguments: [0, 1, 50])
    func truncatedByResponder(bytesOfMessage2: Int) async throws {
        let (initiatorEnd, responderEnd) = MemoryPipe.makePair()
        let identity = PrivateKey.generateEd25519()
        let result = try await withTimeout {
            async let dial = outcome {
                try await NoiseSecurity().secureOutbound(initiatorEnd, identity: identity, expecting: nil, muxers: [])
            }
            // A responder that reads message 1, sends part of a message 2, and leaves.
            guard try await responderEnd.read() != nil else { throw StreamError.unexpectedEOF("message 1") }
            let partial = Array(([0x00, 0x60] + [UInt8](repeating: 1, count: 94)).prefix(bytesOfMessage2))
            if !partial.isEmpty { try await responderEnd.write(partial) }
            await responderEnd.close()
            return await dial
        }
        #expect(throws: StreamError.self) { try result.get() }
    }

    @Test("a payload too large for one handshake message is refused before sending", arguments: [NoiseRole.initiator, .responder])
    func oversizedPayload(oversizedSide: NoiseRole) async throws {
        var run = HandshakeRun()
        // 70 KB of muxer names: our payload cannot fit a 65535-byte message.
        let huge = (0..<1000).map { "/muxer-with-a-rather-long-name/\($0)/1.0.0/padding-padding-padding" } + [yamux]
        if oversizedSide == .initiator { run.initiatorMuxers = huge } else { run.responderMuxers = huge }
        let outcome = try await run.run()
        let (failing, other) = oversizedSide == .initiator
            ? (outcome.initiator, outcome.responder) : (outcome.responder, outcome.initiator)
        let what = oversizedSide == .initiator ? "handshake message 3" : "handshake message 2"
        #expect {
            try failing.get()
        } throws: { error in
            guard case NoiseError.messageTooLarge(let message, let length, 65535) = error else { return false }
            return message == what && length > 65535
        }
        #expect(throws: StreamError.unexpectedEOF(oversizedSide == .initiator ? "handshake message 3" : "handshake message 2")) {
            try other.get()
        }
    }

    @Test("a peer that never answers is bounded by the caller's timeout, and cancellation ends the handshake")
    func cancellation() async throws {
        let (initiatorEnd, _) = MemoryPipe.makePair()
        let identity = PrivateKey.generateEd25519()
        await #expect(throws: TimeoutError.self) {
            try await withTimeout(0.2) {
                _ = try await NoiseSecurity().secureOutbound(initiatorEnd, identity: identity, expecting: nil, muxers: [])
            }
        }
    }
}

/// Payloads a misbehaving peer might send, and what the real side must say.
enum BadPayload: String, CaseIterable, Sendable {
    case signsWrongStaticKey
    case signedByAnotherIdentity
    case missingIdentityKey
    case missingSignature
    case notProtobuf
    case invalidIdentityKey
    case tamperedCiphertext

    func payload(identity: PrivateKey, noiseStaticKey: [UInt8]) -> [UInt8] {
        var message = PBNoiseHandshakePayload()
        message.identityKey = Data(identity.publicKey.protobufEncoded)
        message.identitySig = Data(identity.sign(HandshakePayload.signaturePrefix + noiseStaticKey))
        switch self {
        case .signsWrongStaticKey:
            message.identitySig = Data(identity.sign(HandshakePayload.signaturePrefix + X25519KeyPair.generate().publicKey))
        case .signedByAnotherIdentity:
            message.identitySig = Data(PrivateKey.generateEd25519().sign(HandshakePayload.signaturePrefix + noiseStaticKey))
        case .missingIdentityKey:
            message.clearIdentityKey()
        case .missingSignature:
            message.clearIdentitySig()
        case .notProtobuf:
            return [0xff, 0xff, 0xff, 0xff]
        case .invalidIdentityKey:
            message.identityKey = Data([0x08, 0x01, 0x12, 0x03, 1, 2, 3])  // Ed25519 key of 3 bytes
        case .tamperedCiphertext:
            break
        }
        return try! message.serializedBytes()
    }

    func matches(_ error: any Error) -> Bool {
        switch (self, error) {
        case (.signsWrongStaticKey, SecurityError.invalidSignature),
             (.signedByAnotherIdentity, SecurityError.invalidSignature),
             (.missingIdentityKey, NoiseError.missingIdentityKey),
             (.missingSignature, NoiseError.missingIdentitySignature),
             (.notProtobuf, NoiseError.malformedPayload),
             (.invalidIdentityKey, NoiseError.invalidIdentityKey),
             (.tamperedCiphertext, NoiseError.decryptionFailed):
            return true
        default:
            return false
        }
    }
}

@Suite("libp2p Noise handshake payload checks")
struct PayloadTests {
    @Test("a bad payload is refused and the real side hangs up",
          arguments: [NoiseRole.initiator, .responder], BadPayload.allCases)
    func badPayload(scriptedRole: NoiseRole, bad: BadPayload) async throws {
        let peer = ScriptedPeer(
            role: scriptedRole,
            payload: { identity, key in bad.payload(identity: identity, noiseStaticKey: key) },
            tamper: bad == .tamperedCiphertext)
        let (real, hungUp) = try await peer.runAgainstRealPeer()
        switch real {
        case .success:
            Issue.record("the real \(scriptedRole == .initiator ? "responder" : "initiator") accepted \(bad)")
        case .failure(let error):
            #expect(bad.matches(error), "\(bad) gave \(error)")
        }
        #expect(hungUp)
    }

    @Test("a well-formed scripted payload is accepted, so the bad cases fail for their own reason",
          arguments: [NoiseRole.initiator, .responder])
    func goodScriptedPayload(scriptedRole: NoiseRole) async throws {
        let peer = ScriptedPeer(role: scriptedRole) { identity, key in
            try! HandshakePayload.make(identity: identity, noiseStaticKey: key, muxers: [])
        }
        let (real, hungUp) = try await peer.runAgainstRealPeer()
        #expect(try real.get().remotePeer == peer.identity.peerID)
        if scriptedRole == .responder {
            // The real initiator went on to send message 3 instead of hanging up.
            #expect(!hungUp)
        }
    }

    @Test("our payload carries the identity key, a valid signature and our muxers")
    func payloadContents() throws {
        let identity = PrivateKey.generateEd25519()
        let staticKey = X25519KeyPair.generate().publicKey
        let bytes = try HandshakePayload.make(identity: identity, noiseStaticKey: staticKey, muxers: ["/yamux/1.0.0"])
        let decoded = try PBNoiseHandshakePayload(serializedBytes: bytes)
        #expect([UInt8](decoded.identityKey) == identity.publicKey.protobufEncoded)
        #expect(identity.publicKey.verify(
            signature: [UInt8](decoded.identitySig), for: Array("noise-libp2p-static-key:".utf8) + staticKey))
        #expect(decoded.extensions.streamMuxers == ["/yamux/1.0.0"])

        let remote = try HandshakePayload.verify(bytes, remoteNoiseStaticKey: staticKey)
        #expect(remote.peerID == identity.peerID)
        #expect(remote.muxers == ["/yamux/1.0.0"])

        let withoutMuxers = try PBNoiseHandshakePayload(
            serializedBytes: HandshakePayload.make(identity: identity, noiseStaticKey: staticKey, muxers: []))
        #expect(!withoutMuxers.hasExtensions)
    }
}
