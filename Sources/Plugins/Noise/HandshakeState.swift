/// Which side of a Noise handshake we are: the dialer initiates.
enum NoiseRole: Sendable {
    case initiator
    case responder
}

/// The Noise spec's HandshakeState (section 5.3) for the one pattern libp2p uses, `XX`:
///
///     -> e
///     <- e, ee, s, es
///     -> s, se
///
/// Pure: it turns payloads into handshake messages and back, and knows nothing of
/// framing, streams or libp2p. Messages are processed token by token exactly as the
/// spec's WriteMessage / ReadMessage describe, so the test vectors of other Noise
/// implementations apply byte for byte.
struct HandshakeState: Sendable {
    static let protocolName = "Noise_XX_25519_ChaChaPoly_SHA256"

    enum Token: Sendable { case e, s, ee, es, se }

    /// The XX message patterns; even indices are sent by the initiator.
    static let pattern: [[Token]] = [[.e], [.e, .ee, .s, .es], [.s, .se]]

    let role: NoiseRole
    let localStatic: X25519KeyPair
    private let localEphemeral: X25519KeyPair
    private var symmetric: SymmetricState
    private(set) var remoteStatic: [UInt8]?
    private(set) var remoteEphemeral: [UInt8]?
    /// How many handshake messages have been written or read.
    private(set) var messageIndex = 0

    /// Initialize(): libp2p uses an empty prologue. `localEphemeral` is fixed only by
    /// test vectors; real handshakes take a fresh one.
    init(role: NoiseRole, localStatic: X25519KeyPair, localEphemeral: X25519KeyPair = .generate(), prologue: [UInt8] = []) {
        self.role = role
        self.localStatic = localStatic
        self.localEphemeral = localEphemeral
        symmetric = SymmetricState(protocolName: Self.protocolName)
        symmetric.mixHash(prologue)
    }

    var isComplete: Bool { messageIndex == Self.pattern.count }

    /// True when the next handshake message is ours to write.
    var isOurTurn: Bool {
        !isComplete && (messageIndex.isMultiple(of: 2) == (role == .initiator))
    }

    /// The transcript hash `h`: equal on both sides after a successful handshake.
    var handshakeHash: [UInt8] { symmetric.handshakeHash }

    /// WriteMessage(payload): the next handshake message. The payload always goes
    /// through EncryptAndHash, even when empty and unkeyed (message 1): skipping that
    /// MixHash would desynchronise `h` from every other implementation.
    mutating func writeMessage(payload: [UInt8]) throws -> [UInt8] {
        guard isOurTurn else { throw NoiseError.outOfTurn("writing handshake message \(messageIndex + 1)") }
        var message: [UInt8] = []
        message.reserveCapacity(Self.minimumLength(ofMessage: messageIndex) + payload.count)
        for token in Self.pattern[messageIndex] {
            switch token {
            case .e:
                message += localEphemeral.publicKey
                symmetric.mixHash(localEphemeral.publicKey)
            case .s:
                message += try symmetric.encryptAndHash(localStatic.publicKey)
            case .ee, .es, .se:
                symmetric.mixKey(try diffieHellman(token))
            }
        }
        message += try symmetric.encryptAndHash(payload)
        messageIndex += 1
        return message
    }

    /// ReadMessage(message): the peer's payload, after checking every tag.
    mutating func readMessage(_ message: [UInt8]) throws -> [UInt8] {
        guard !isComplete, !isOurTurn else {
            throw NoiseError.outOfTurn("reading handshake message \(messageIndex + 1)")
        }
        let what = "handshake message \(messageIndex + 1)"
        let minimum = Self.minimumLength(ofMessage: messageIndex)
        guard message.count >= minimum else {
            throw NoiseError.messageTooShort(what, length: message.count, minimum: minimum)
        }
        var rest = message[...]
        func take(_ count: Int) -> [UInt8] {
            defer { rest = rest.dropFirst(count) }
            return Array(rest.prefix(count))
        }
        for token in Self.pattern[messageIndex] {
            switch token {
            case .e:
                let key = take(NoiseCrypto.dhLength)
                remoteEphemeral = key
                symmetric.mixHash(key)
            case .s:
                let length = NoiseCrypto.dhLength + (symmetric.hasKey ? NoiseCrypto.tagLength : 0)
                remoteStatic = try symmetric.decryptAndHash(take(length), what: "static key in \(what)")
            case .ee, .es, .se:
                symmetric.mixKey(try diffieHellman(token))
            }
        }
        let payload = try symmetric.decryptAndHash(Array(rest), what: what)
        messageIndex += 1
        return payload
    }

    /// Split(): the transport ciphers, once all three messages are done.
    func split() throws -> (send: CipherState, receive: CipherState) {
        guard isComplete else { throw NoiseError.outOfTurn("splitting before the handshake is complete") }
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        switch role {
        case .initiator: return (initiatorToResponder, responderToInitiator)
        case .responder: return (responderToInitiator, initiatorToResponder)
        }
    }

    /// The DH that a token names, from this side's point of view: in `es` the
    /// initiator's ephemeral meets the responder's static, and so on.
    private func diffieHellman(_ token: Token) throws -> [UInt8] {
        let (localIsEphemeral, remoteIsEphemeral): (Bool, Bool)
        switch (token, role) {
        case (.ee, _): (localIsEphemeral, remoteIsEphemeral) = (true, true)
        case (.es, .initiator), (.se, .responder): (localIsEphemeral, remoteIsEphemeral) = (true, false)
        case (.es, .responder), (.se, .initiator): (localIsEphemeral, remoteIsEphemeral) = (false, true)
        case (.e, _), (.s, _): preconditionFailure("\(token) is not a DH token")
        }
        let local = localIsEphemeral ? localEphemeral : localStatic
        guard let remote = remoteIsEphemeral ? remoteEphemeral : remoteStatic else {
            throw NoiseError.outOfTurn("DH before the remote key is known")
        }
        return try NoiseCrypto.dh(privateKey: local.privateKey, publicKey: remote)
    }

    /// The length of message `index` with an empty payload: its keys, their tags once
    /// a DH has happened, and the payload's tag.
    static func minimumLength(ofMessage index: Int) -> Int {
        var keyed = pattern[..<index].joined().contains { $0 == .ee || $0 == .es || $0 == .se }
        var length = 0
        for token in pattern[index] {
            switch token {
            case .e: length += NoiseCrypto.dhLength
            case .s: length += NoiseCrypto.dhLength + (keyed ? NoiseCrypto.tagLength : 0)
            case .ee, .es, .se: keyed = true
            }
        }
        return length + (keyed ? NoiseCrypto.tagLength : 0)
    }
}
