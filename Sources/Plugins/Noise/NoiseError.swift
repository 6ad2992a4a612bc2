/// What can go wrong in a Noise handshake or on a Noise channel, beyond the shared
/// `SecurityError` cases (bad signature, wrong peer, no common muxer) and
/// `StreamError` cases (end of stream mid-message).
public enum NoiseError: Error, Equatable, CustomStringConvertible {
    /// A ciphertext's authentication tag did not verify: tampering, a wrong key, or a
    /// peer that is not speaking this protocol.
    case decryptionFailed(String)
    /// A handshake message is shorter than its pattern requires.
    case messageTooShort(String, length: Int, minimum: Int)
    /// A handshake message we would send does not fit one frame.
    case messageTooLarge(String, length: Int, limit: Int)
    /// The handshake payload is not a valid `NoiseHandshakePayload` protobuf.
    case malformedPayload(String)
    /// The handshake payload has no `identity_key`.
    case missingIdentityKey
    /// The handshake payload has no `identity_sig`.
    case missingIdentitySignature
    /// The `identity_key` is not a usable libp2p public key.
    case invalidIdentityKey(String)
    /// A remote X25519 key of the wrong size or of low order (all-zero DH result).
    case invalidDHPublicKey
    /// A local key of the wrong size.
    case invalidKeyLength(Int, expected: Int)
    /// 2^64 - 1 messages were sent or received under one key; the spec forbids more.
    case nonceExhausted
    /// A handshake step out of turn (writing when it is the peer's turn, or after the end).
    case outOfTurn(String)
    /// Two tasks wrote to one channel at the same time, which would scramble nonces.
    case concurrentWrite
    /// An earlier failure left this direction of the channel unusable.
    case channelFailed(String)

    public var description: String {
        switch self {
        case .decryptionFailed(let what): return "noise: could not decrypt \(what) (authentication failed)"
        case .messageTooShort(let what, let length, let minimum):
            return "noise: \(what) is \(length) bytes, at least \(minimum) expected"
        case .messageTooLarge(let what, let length, let limit):
            return "noise: \(what) is \(length) bytes, more than the limit of \(limit)"
        case .malformedPayload(let why): return "noise: malformed handshake payload: \(why)"
        case .missingIdentityKey: return "noise: handshake payload carries no identity key"
        case .missingIdentitySignature: return "noise: handshake payload carries no identity signature"
        case .invalidIdentityKey(let why): return "noise: invalid identity key: \(why)"
        case .invalidDHPublicKey: return "noise: remote X25519 key is invalid or of low order"
        case .invalidKeyLength(let length, let expected):
            return "noise: key of \(length) bytes, expected \(expected)"
        case .nonceExhausted: return "noise: nonce space exhausted"
        case .outOfTurn(let what): return "noise: \(what) out of turn"
        case .concurrentWrite: return "noise: concurrent writes on one channel"
        case .channelFailed(let why): return "noise: channel unusable after an earlier error: \(why)"
        }
    }
}
