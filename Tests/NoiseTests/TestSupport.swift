internal import CSodium
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization
import Testing

@testable import LibP2PNoise



/// Both ends of a libp2p Noise handshake over a `MemoryPipe`.
struct HandshakeRun {
    let initiatorIdentity = PrivateKey.generateEd25519()
    let responderIdentity = PrivateKey.generateEd25519()
    var initiatorMuxers: [String] = ["/yamux/1.0.0", "/mplex/6.7.0"]
    var responderMuxers: [String] = ["/yamux/1.0.0", "/mplex/6.7.0"]
    /// `.some(nil)` dials without expecting a peer ID; `nil` expects the responder's.
    var expecting: PeerID?? = nil

    struct Outcome: Sendable {
        let initiator: Result<any SecureChannel, any Error>
        let responder: Result<any SecureChannel, any Error>
    }

    /// Runs both roles concurrently; each side's result is kept, failures included.
    func run(wrapInitiator: @Sendable (any ByteStream) -> any ByteStream = { $0 }) async throws -> Outcome {
        let (a, b) = MemoryPipe.makePair()
        let initiatorStream = wrapInitiator(a)
        let expected = expecting ?? responderIdentity.peerID
        let run = self
        return try await withTimeout {
            async let initiator = outcome {
                try await NoiseSecurity().secureOutbound(
                    initiatorStream, identity: run.initiatorIdentity, expecting: expected, muxers: run.initiatorMuxers)
            }
            async let responder = outcome {
                try await NoiseSecurity().secureInbound(b, identity: run.responderIdentity, muxers: run.responderMuxers)
            }
            return await Outcome(initiator: initiator, responder: responder)
        }
    }

    /// Both channels, or the first failure.
    func channels() async throws -> (initiator: any SecureChannel, responder: any SecureChannel) {
        let outcome = try await run()
        return (try outcome.initiator.get(), try outcome.responder.get())
    }
}

/// A peer that runs the real XX handshake but sends a libp2p payload the test chose,
/// for checking that the real side refuses it. After its payload-carrying message it
/// waits for the real side's reaction.
struct ScriptedPeer: Sendable {
    let role: NoiseRole
    let identity = PrivateKey.generateEd25519()
    /// The payload to send, given our Noise static public key.
    let payload: @Sendable (_ identity: PrivateKey, _ noiseStaticKey: [UInt8]) -> [UInt8]
    /// Flip the last byte (inside the payload's tag) of our payload-carrying message.
    var tamper = false

    /// True when the real side hung up (end of stream) after our payload.
    func run(over stream: any ByteStream) async throws -> Bool {
        var io = HandshakeIO(reader: ByteStreamReader(stream))
        let staticKey = X25519KeyPair.generate()
        var state = HandshakeState(role: role, localStatic: staticKey)
        if role == .initiator {
            try await io.send(state.writeMessage(payload: []), what: "message 1")
            _ = try state.readMessage(await io.receive(what: "message 2"))
        } else {
            _ = try state.readMessage(await io.receive(what: "message 1"))
        }
        var message = try state.writeMessage(payload: payload(identity, staticKey.publicKey))
        if tamper { message[message.count - 1] ^= 0x01 }
        try await io.send(message, what: "payload message")
        return try await io.reader.readSome() == nil
    }

    /// Runs this peer against a real `NoiseSecurity` in the other role; returns the real
    /// side's result and whether it hung up on us.
    func runAgainstRealPeer() async throws -> (real: Result<any SecureChannel, any Error>, realHungUp: Bool) {
        let (scriptedEnd, realEnd) = MemoryPipe.makePair()
        let realIdentity = PrivateKey.generateEd25519()
        let scripted = self
        return try await withTimeout {
            async let hungUp = scripted.run(over: scriptedEnd)
            async let real = outcome { () async throws -> any SecureChannel in
                if scripted.role == .initiator {
                    return try await NoiseSecurity().secureInbound(realEnd, identity: realIdentity, muxers: ["/yamux/1.0.0"])
                } else {
                    return try await NoiseSecurity().secureOutbound(
                        realEnd, identity: realIdentity, expecting: nil, muxers: ["/yamux/1.0.0"])
                }
            }
            let realResult = await real
            // A real side that accepted us waits for data; hang up so we stop waiting too.
            if case .success(let channel) = realResult { await channel.close() }
            return (realResult, try await hungUp)
        }
    }
}

/// A byte stream that counts the writes passed to the stream below, and can corrupt
/// or cut one of them, to observe and attack the wire.
final class WireTap: ByteStream {
    enum Attack: Sendable {
        case none
        /// Flip the last byte of the n-th write (1-based).
        case flipLastByte(ofWrite: Int)
        /// Send only the first half of the n-th write, then close.
        case truncate(write: Int)
    }

    let base: any ByteStream
    let attack: Attack
    private let writes = Mutex<[Int]>([])

    init(_ base: any ByteStream, attack: Attack = .none) {
        self.base = base
        self.attack = attack
    }

    /// The size of every write so far.
    var writeSizes: [Int] { writes.withLock { $0 } }

    func read() async throws -> ByteBuffer? { try await base.read() }

    func write(_ buffer: ByteBuffer) async throws {
        let number = writes.withLock { sizes in
            sizes.append(buffer.readableBytes)
            return sizes.count
        }
        var bytes = buffer
        switch attack {
        case .flipLastByte(let n) where n == number:
            let last = bytes.writerIndex - 1
            bytes.setInteger(bytes.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
        case .truncate(let n) where n == number:
            try await base.write(bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2)!)
            await base.close()
            return
        default:
            break
        }
        try await base.write(bytes)
    }

    func closeWrite() async throws { try await base.closeWrite() }
    func close() async { await base.close() }
}

/// Reads from `stream` until `count` bytes arrived; returns them and the sizes of
/// the chunks they came in (to test how the channel frames a large write).
func readChunks(_ count: Int, from stream: any ByteStream) async throws -> (bytes: [UInt8], chunks: [Int]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var chunks: [Int] = []
    while bytes.count < count {
        guard let chunk = try await stream.read() else { throw StreamError.unexpectedEOF("test data") }
        chunks.append(chunk.readableBytes)
        bytes += chunk.readableBytesView
    }
    return (bytes, chunks)
}

func randomBytes(_ count: Int) -> [UInt8] {
    Sodium.ensureInitialized()
    var bytes = [UInt8](repeating: 0, count: count)
    randombytes_buf(&bytes, count)
    return bytes
}
