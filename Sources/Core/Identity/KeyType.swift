/// The key types of the libp2p `PublicKey` protobuf, numbered as on the wire.
public enum KeyType: Int, Sendable, CaseIterable, CustomStringConvertible {
    case rsa = 0
    case ed25519 = 1
    case secp256k1 = 2
    case ecdsa = 3

    public var description: String {
        switch self {
        case .rsa: return "RSA"
        case .ed25519: return "Ed25519"
        case .secp256k1: return "secp256k1"
        case .ecdsa: return "ECDSA"
        }
    }
}

public enum KeyError: Error, Equatable, CustomStringConvertible {
    case malformedProtobuf(String)
    case unknownKeyType(Int)
    case invalidKey(KeyType, String)
    case unsupported(String)
    case signingFailed(String)

    public var description: String {
        switch self {
        case .malformedProtobuf(let why): return "malformed PublicKey protobuf: \(why)"
        case .unknownKeyType(let t): return "unknown key type \(t)"
        case .invalidKey(let type, let why): return "invalid \(type) key: \(why)"
        case .unsupported(let what): return "unsupported: \(what)"
        case .signingFailed(let why): return "signing failed: \(why)"
        }
    }
}
