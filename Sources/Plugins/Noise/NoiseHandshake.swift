import LibP2PCore
import LibP2PRegistry
import NIOCore

/// The libp2p XX handshake over a byte stream: the thin async adapter around the pure
/// `HandshakeState`. It frames each message with its 2-byte length, writes each in one
/// write, and checks the libp2p payloads (identity signature, expected peer, early
/// muxer). Our payload is built while we wait for the peer, off the critical path.
struct NoiseHandshake {
    let identity: PrivateKey
    let muxers: [String]
    /// Fixed only by tests; real handshakes take a fresh static key each time.
    var localStatic: X25519KeyPair = .generate()

    /// The dialer's three steps: send `e`; read the responder's identity; send ours.
    func runInitiator(over stream: any ByteStream, expecting: PeerID?) async throws -> NoiseSecureChannel {
        var io = HandshakeIO(reader: ByteStreamReader(stream))
        var state = HandshakeState(role: .initiator, localStatic: localStatic)

        try await io.send(state.writeMessage(payload: []), what: "handshake message 1")
        let ourPayload = try HandshakePayload.make(
            identity: identity, noiseStaticKey: localStatic.publicKey, muxers: muxers)

        let remote = try verifiedIdentity(
            in: state.readMessage(await io.receive(what: "handshake message 2")), state: state)
        if let expecting, remote.peerID != expecting {
            throw SecurityError.peerIDMismatch(expected: expecting, actual: remote.peerID)
        }
        let earlyMuxer = try EarlyMuxerNegotiation.select(local: muxers, remote: remote.muxers, role: .initiator)

        try await io.send(state.writeMessage(payload: ourPayload), what: "handshake message 3")
        return try channel(io: io, state: state, remote: remote, earlyMuxer: earlyMuxer)
    }

    /// The listener's three steps: read `e`; send our identity; read the initiator's.
    func runResponder(over stream: any ByteStream) async throws -> NoiseSecureChannel {
        var io = HandshakeIO(reader: ByteStreamReader(stream))
        var state = HandshakeState(role: .responder, localStatic: localStatic)
        let ourPayload = try HandshakePayload.make(
            identity: identity, noiseStaticKey: localStatic.publicKey, muxers: muxers)

        // libp2p's first message carries no payload; whatever it carries is still
        // hashed by readMessage, and ignored here.
        _ = try state.readMessage(await io.receive(what: "handshake message 1"))
        try await io.send(state.writeMessage(payload: ourPayload), what: "handshake message 2")

        let remote = try verifiedIdentity(
            in: state.readMessage(await io.receive(what: "handshake message 3")), state: state)
        let earlyMuxer = try EarlyMuxerNegotiation.select(local: muxers, remote: remote.muxers, role: .responder)
        return try channel(io: io, state: state, remote: remote, earlyMuxer: earlyMuxer)
    }

    private func verifiedIdentity(in payload: [UInt8], state: HandshakeState) throws -> RemoteIdentity {
        guard let remoteStatic = state.remoteStatic else {
            throw NoiseError.outOfTurn("reading the identity before the static key")
        }
        return try HandshakePayload.verify(payload, remoteNoiseStaticKey: remoteStatic)
    }

    private func channel(
        io: HandshakeIO, state: HandshakeState, remote: RemoteIdentity, earlyMuxer: String?
    ) throws -> NoiseSecureChannel {
        let (send, receive) = try state.split()
        return try NoiseSecureChannel(
            reader: io.reader, send: send, receive: receive,
            localPeer: identity.peerID, remote: remote, earlyMuxer: earlyMuxer)
    }
}

/// Length-framed handshake messages over a stream. Bytes the peer sent after its last
/// handshake message (the first transport frames) stay in `reader` for the channel.
struct HandshakeIO {
    var reader: ByteStreamReader

    func send(_ message: [UInt8], what: String) async throws {
        guard message.count <= NoiseFraming.maxMessageLength else {
            throw NoiseError.messageTooLarge(what, length: message.count, limit: NoiseFraming.maxMessageLength)
        }
        var frame = ByteBufferAllocator().buffer(capacity: NoiseFraming.lengthPrefixSize + message.count)
        frame.writeInteger(UInt16(message.count))
        frame.writeBytes(message)
        try await reader.stream.write(frame)
    }

    mutating func receive(what: String) async throws -> [UInt8] {
        guard let message = try await reader.readNoiseMessage(what: what) else {
            throw StreamError.unexpectedEOF(what)
        }
        return Array(message.readableBytesView)
    }
}
