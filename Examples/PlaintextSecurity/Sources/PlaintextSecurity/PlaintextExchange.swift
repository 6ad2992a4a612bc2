import LibP2PCore
import LibP2PRegistry

/// The handshake's one message (libp2p/specs plaintext: `message Exchange { optional
/// bytes id = 1; optional PublicKey pubkey = 2; }`, proto2), encoded by hand: two
/// length-delimited fields do not justify a code generator in this package.
public struct PlaintextExchange: Sendable, Equatable {
    public let peerID: PeerID
    public let publicKey: PublicKey

    public init(publicKey: PublicKey) {
        self.publicKey = publicKey
        self.peerID = publicKey.peerID
    }

    private static let idTag: UInt8 = 1 << 3 | 2
    private static let publicKeyTag: UInt8 = 2 << 3 | 2

    public func encoded() -> [UInt8] {
        let id = peerID.multihash
        let key = publicKey.protobufEncoded
        return [Self.idTag] + UVarint.encode(id.count) + id + [Self.publicKeyTag] + UVarint.encode(key.count) + key
    }

    /// Refuses a message without both fields, with a field it cannot skip, or whose
    /// peer ID is not the one its public key gives.
    public init(decoding bytes: [UInt8]) throws {
        var id: [UInt8]?
        var key: [UInt8]?
        var fields = ProtobufFields(bytes)
        while let (number, value) = try fields.next() {
            switch number {
            case 1: id = value
            case 2: key = value
            default: break  // unknown length-delimited fields are skipped, as proto2 allows
            }
        }
        guard let id, let key else {
            throw SecurityError.handshakeFailed("plaintext exchange lacks its \(id == nil ? "id" : "pubkey") field")
        }
        let peerID = try PeerID(multihash: id)
        let publicKey = try PublicKey(protobuf: key)
        guard peerID.matches(publicKey) else {
            throw SecurityError.handshakeFailed("plaintext exchange: peer ID \(peerID) is not the one of its public key (\(publicKey.peerID))")
        }
        self.peerID = peerID
        self.publicKey = publicKey
    }
}

/// Walks a protobuf message's length-delimited fields; any other wire type is an
/// error (the exchange has none).
struct ProtobufFields {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() throws -> (number: UInt64, value: [UInt8])? {
        guard offset < bytes.count else { return nil }
        let key = try varint("field key")
        guard key & 7 == 2 else {
            throw SecurityError.handshakeFailed("plaintext exchange: field \(key >> 3) has wire type \(key & 7), not length-delimited")
        }
        let length = try varint("field length")
        guard length <= UInt64(bytes.count - offset) else {
            throw SecurityError.handshakeFailed("plaintext exchange: field \(key >> 3) claims \(length) bytes, \(bytes.count - offset) remain")
        }
        let value = Array(bytes[offset..<offset + Int(length)])
        offset += Int(length)
        return (key >> 3, value)
    }

    private mutating func varint(_ what: String) throws -> UInt64 {
        switch UVarint.decode(bytes[offset...]) {
        case .value(let value, let consumed):
            offset += consumed
            return value
        default:
            throw SecurityError.handshakeFailed("plaintext exchange: bad \(what) varint")
        }
    }
}
