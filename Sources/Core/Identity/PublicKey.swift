#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftProtobuf

/// A libp2p public key: its type and its type-specific bytes (32 raw bytes for
/// Ed25519, 33-byte compressed point for secp256k1, DER SubjectPublicKeyInfo for
/// ECDSA and RSA). Parsing checks the bytes are a valid key of that type.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let type: KeyType
    public let data: [UInt8]

    /// Wraps key bytes after checking they are a well-formed key of `type`.
    public init(type: KeyType, data: [UInt8]) throws {
        try KeyVerification.validate(type: type, data: data)
        self.type = type
        self.data = data
    }

    /// Parses the `PublicKey` protobuf (`Type = 1`, `Data = 2`).
    public init(protobuf bytes: [UInt8]) throws {
        let message: PBPublicKey
        do {
            message = try PBPublicKey(serializedBytes: bytes)
        } catch {
            throw KeyError.malformedProtobuf("\(error)")
        }
        guard message.hasType, message.hasData else {
            throw KeyError.malformedProtobuf("missing Type or Data")
        }
        guard let type = KeyType(rawValue: message.type.rawValue) else {
            throw KeyError.unknownKeyType(message.type.rawValue)
        }
        try self.init(type: type, data: [UInt8](message.data))
    }

    /// The deterministic `PublicKey` protobuf encoding: field 1 then field 2, nothing else.
    public var protobufEncoded: [UInt8] {
        var message = PBPublicKey()
        message.type = PBKeyType(rawValue: type.rawValue) ?? .ed25519
        message.data = Data(data)
        // Fields are emitted in number order, which is what the spec's deterministic
        // encoding asks for.
        return (try? message.serializedBytes()) ?? []
    }

    /// True when `signature` is this key's valid signature over `message`.
    public func verify(signature: [UInt8], for message: [UInt8]) -> Bool {
        KeyVerification.verify(type: type, key: data, signature: signature, message: message)
    }

    public var peerID: PeerID { PeerID(publicKey: self) }

    public var description: String { "\(type) public key (\(peerID))" }
}
