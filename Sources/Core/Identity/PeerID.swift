internal import CSodium

/// A libp2p peer ID: the multihash of the serialized `PublicKey` protobuf, the
/// identity multihash when that is at most 42 bytes (Ed25519, secp256k1), sha2-256
/// otherwise (RSA, ECDSA).
public struct PeerID: Sendable, Hashable, CustomStringConvertible {
    /// The multihash bytes: code, length, digest.
    public let multihash: [UInt8]

    static let identityCode: UInt8 = 0x00
    static let sha256Code: UInt8 = 0x12
    static let maxInlineKeyLength = 42
    static let libp2pKeyCodec: UInt64 = 0x72

    public init(publicKey: PublicKey) {
        let encoded = publicKey.protobufEncoded
        if encoded.count <= Self.maxInlineKeyLength {
            multihash = [Self.identityCode] + UVarint.encode(encoded.count) + encoded
        } else {
            multihash = [Self.sha256Code, 32] + SHA256.hash(encoded)
        }
    }

    /// From multihash bytes, checking the multihash is identity or sha2-256 and well formed.
    public init(multihash bytes: [UInt8]) throws {
        guard bytes.count >= 2 else { throw PeerIDError.malformed("multihash too short") }
        guard case .value(let length, let prefix) = UVarint.decode(bytes.dropFirst()) else {
            throw PeerIDError.malformed("bad multihash length")
        }
        let digestLength = bytes.count - 1 - prefix
        guard UInt64(digestLength) == length else {
            throw PeerIDError.malformed("multihash length \(length) but \(digestLength) digest bytes")
        }
        switch bytes[0] {
        case Self.identityCode:
            guard digestLength <= Self.maxInlineKeyLength else {
                throw PeerIDError.malformed("identity multihash of \(digestLength) bytes exceeds 42")
            }
        case Self.sha256Code:
            guard digestLength == 32 else { throw PeerIDError.malformed("sha2-256 digest must be 32 bytes") }
        default:
            throw PeerIDError.malformed("unsupported multihash code 0x\(String(bytes[0], radix: 16))")
        }
        multihash = bytes
    }

    /// Parses base58btc (`12D3KooW…`, `Qm…`, `16Uiu2…`) or the CIDv1 form
    /// (multibase `b` base32, codec libp2p-key).
    public init(_ text: String) throws {
        if text.hasPrefix("b") {
            guard let cid = Base32.decodeLowercase(String(text.dropFirst())) else {
                throw PeerIDError.malformed("invalid base32 in CID")
            }
            guard case .value(1, let vlen) = UVarint.decode(cid) else {
                throw PeerIDError.malformed("CID is not version 1")
            }
            let rest = Array(cid.dropFirst(vlen))
            guard case .value(let codec, let clen) = UVarint.decode(rest), codec == Self.libp2pKeyCodec else {
                throw PeerIDError.malformed("CID codec is not libp2p-key (0x72)")
            }
            try self.init(multihash: Array(rest.dropFirst(clen)))
        } else {
            guard let bytes = Base58.decode(text) else { throw PeerIDError.malformed("invalid base58 text") }
            try self.init(multihash: bytes)
        }
    }

    /// The public key, when it is inlined (identity multihash).
    public var inlinedPublicKey: PublicKey? {
        guard multihash[0] == Self.identityCode else { return nil }
        guard case .value(_, let prefix) = UVarint.decode(multihash.dropFirst()) else { return nil }
        return try? PublicKey(protobuf: Array(multihash.dropFirst(1 + prefix)))
    }

    /// True when this ID is the one derived from `key`.
    public func matches(_ key: PublicKey) -> Bool { PeerID(publicKey: key) == self }

    /// Base58btc text.
    public var description: String { Base58.encode(multihash) }

    /// CIDv1 text (`bafz…`).
    public var cidString: String {
        "b" + Base32.encodeLowercase(UVarint.encode(UInt64(1)) + UVarint.encode(Self.libp2pKeyCodec) + multihash)
    }
}

public enum PeerIDError: Error, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed peer ID: \(why)"
        }
    }
}

/// SHA-256 through libsodium.
public enum SHA256 {
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return out
    }
}

/// RFC 4648 base32, lower case, no padding: multibase `b`.
enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encodeLowercase(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeLowercase(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for c in text.utf8 {
            guard let value = alphabet.firstIndex(of: c) else { return nil }
            buffer = ((buffer << 5) | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return out
    }
}
