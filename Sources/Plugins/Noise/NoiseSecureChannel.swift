import LibP2PCore
import LibP2PRegistry
import NIOCore
import NIOConcurrencyHelpers

/// The transport phase of a Noise session: a `SecureChannel` whose every message on
/// the stream below is a 2-byte big-endian length and a ChaCha20-Poly1305 ciphertext
/// (`TransportCipher`).
///
/// Reading and writing are independent (one CipherState each) and may run in two
/// tasks at once. Each direction's state is checked out of its mutex for the length of
/// one operation, so no lock is held across a suspension and a second reader (or
/// writer) gets a clear error instead of a scrambled nonce sequence.
final class NoiseSecureChannel: SecureChannel {
    let localPeer: PeerID
    let remotePeer: PeerID
    let remotePublicKey: PublicKey
    let earlyMuxer: String?

    /// Plaintext encrypted into one write to the stream below: whole frames, about
    /// 1 MiB, so a large write costs few lower-layer writes and bounded extra memory.
    static let maxPlaintextPerWrite = 16 * NoiseFraming.maxPlaintextPerFrame

    private let stream: any ByteStream
    private let inbound: NIOLockedValueBox<DirectionSlot<Inbound>>
    private let outbound: NIOLockedValueBox<DirectionSlot<Outbound>>

    init(
        reader: ByteStreamReader, send: CipherState, receive: CipherState,
        localPeer: PeerID, remote: RemoteIdentity, earlyMuxer: String?
    ) throws {
        stream = reader.stream
        inbound = NIOLockedValueBox(.ready(Inbound(reader: reader, cipher: try .opening(receive))))
        outbound = NIOLockedValueBox(.ready(Outbound(cipher: try .sealing(send))))
        self.localPeer = localPeer
        remotePeer = remote.peerID
        remotePublicKey = remote.publicKey
        self.earlyMuxer = earlyMuxer
    }

    /// The plaintext of the next non-empty frame; `nil` when the peer closed its write
    /// side at a frame boundary. A frame that fails to decrypt makes this direction
    /// unusable: later reads fail too.
    func read() async throws -> ByteBuffer? {
        var state = try inbound.withLockedValue { try $0.checkOut(whenBusy: StreamError.concurrentRead) }
        do {
            let plaintext = try await state.nextPlaintext()
            inbound.withLockedValue { $0 = .ready(state) }
            return plaintext
        } catch let error as NoiseError {
            inbound.withLockedValue { $0 = .failed(error.description) }
            throw error
        } catch {
            // End of stream mid-frame, an I/O error or cancellation: nothing was
            // consumed from a partial frame, so the state is still consistent.
            inbound.withLockedValue { $0 = .ready(state) }
            throw error
        }
    }

    /// Encrypts `buffer` into frames of at most 65519 plaintext bytes and writes them,
    /// about 1 MiB of frames per write to the stream below.
    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        var state = try outbound.withLockedValue { try $0.checkOut(whenBusy: NoiseError.concurrentWrite) }
        do {
            var remaining = buffer
            while remaining.readableBytes > 0 {
                let batch = remaining.readSlice(length: min(remaining.readableBytes, Self.maxPlaintextPerWrite))!
                try await stream.write(state.seal(batch))
            }
            outbound.withLockedValue { $0 = .ready(state) }
        } catch {
            // Nonces were spent on frames that may not have reached the peer; any
            // later frame would fail to decrypt there, so refuse to write more.
            outbound.withLockedValue { $0 = .failed("\(error)") }
            throw error
        }
    }

    func closeWrite() async throws { try await stream.closeWrite() }

    func close() async { await stream.close() }
}

/// One direction's state, checked out for the length of an operation.
enum DirectionSlot<State: Sendable>: Sendable {
    case ready(State)
    case inUse
    case failed(String)

    mutating func checkOut(whenBusy busy: any Error) throws -> State {
        switch self {
        case .ready(let state):
            self = .inUse
            return state
        case .inUse:
            throw busy
        case .failed(let why):
            throw NoiseError.channelFailed(why)
        }
    }
}

/// The read side: the framed reader (with any bytes read ahead during the handshake)
/// and the receiving cipher.
struct Inbound: Sendable {
    var reader: ByteStreamReader
    let cipher: TransportCipher

    mutating func nextPlaintext() async throws -> ByteBuffer? {
        while true {
            guard let frame = try await reader.readNoiseMessage(what: "noise transport frame") else { return nil }
            guard frame.readableBytes >= NoiseCrypto.tagLength else {
                throw NoiseError.messageTooShort(
                    "transport frame", length: frame.readableBytes, minimum: NoiseCrypto.tagLength)
            }
            let length = frame.readableBytes - NoiseCrypto.tagLength
            var plaintext = ByteBufferAllocator().buffer(capacity: length)
            try frame.withUnsafeReadableBytes { ciphertext in
                _ = try plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { output in
                    guard try cipher.open(ciphertext, into: output) else {
                        throw NoiseError.decryptionFailed("transport frame")
                    }
                    return length
                }
            }
            // An empty frame is legal (and authenticated above) but a ByteStream never
            // returns an empty buffer: go on to the next frame.
            if length > 0 { return plaintext }
        }
    }
}

/// The write side: the sending cipher.
struct Outbound: Sendable {
    let cipher: TransportCipher

    /// `plaintext` as consecutive frames (length prefix, ciphertext) in one buffer.
    mutating func seal(_ plaintext: ByteBuffer) throws -> ByteBuffer {
        let maxChunk = NoiseFraming.maxPlaintextPerFrame
        let frameCount = (plaintext.readableBytes + maxChunk - 1) / maxChunk
        let overhead = NoiseFraming.lengthPrefixSize + NoiseCrypto.tagLength
        var frames = ByteBufferAllocator().buffer(capacity: plaintext.readableBytes + frameCount * overhead)
        var remaining = plaintext
        while remaining.readableBytes > 0 {
            let chunk = remaining.readSlice(length: min(remaining.readableBytes, maxChunk))!
            let sealedLength = chunk.readableBytes + NoiseCrypto.tagLength
            frames.writeInteger(UInt16(sealedLength))
            try chunk.withUnsafeReadableBytes { chunk in
                _ = try frames.writeWithUnsafeMutableBytes(minimumWritableBytes: sealedLength) { output in
                    try cipher.seal(chunk, into: output)
                    return sealedLength
                }
            }
        }
        return frames
    }
}
