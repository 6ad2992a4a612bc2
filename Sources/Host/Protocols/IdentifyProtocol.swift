#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LibP2PCore
import NIOCore
import SwiftProtobuf

/// `/ipfs/id/1.0.0`: the responder writes one uvarint-length-prefixed `Identify`
/// message, then closes. go, rust, py and js ask for it on every new connection
/// and so does our host; go waits for it before opening streams, and nim refuses
/// peers without it.
public enum IdentifyProtocol {
    public static let id = "/ipfs/id/1.0.0"
    public static let protocolVersion = "ipfs/0.1.0"
    public static let agentVersion = "swift-libp2p-interop/0.1.0"
    /// rust's cap on an identify message; we keep ours under it and read no more.
    public static let maxMessageSize = 4096

    /// Our message, length prefix included.
    public static func message(
        publicKey: PublicKey, listenAddresses: [Multiaddr], protocols: [String], observed: Multiaddr?
    ) throws -> ByteBuffer {
        var identify = PBIdentify()
        identify.protocolVersion = protocolVersion
        identify.agentVersion = agentVersion
        identify.publicKey = Data(publicKey.protobufEncoded)
        identify.listenAddrs = listenAddresses.map { Data($0.removingPeerID().bytes) }
        identify.protocols = protocols
        if let observed { identify.observedAddr = Data(observed.removingPeerID().bytes) }
        let body: [UInt8] = try identify.serializedBytes()
        guard body.count <= maxMessageSize else {
            throw StreamError.messageTooLarge(body.count, limit: maxMessageSize)
        }
        var buffer = ByteBuffer()
        buffer.writeBytes(UVarint.encode(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// Writes our message and closes our side.
    public static func respond(on stream: any ByteStream, message: ByteBuffer) async throws {
        try await stream.write(message)
        try await stream.closeWrite()
    }

    /// Reads a peer's message (at most `maxMessageSize` bytes).
    public static func read(from stream: any ByteStream) async throws -> PeerIdentify {
        var reader = ByteStreamReader(stream)
        let body = try await reader.readLengthPrefixed(limit: maxMessageSize, what: "identify message")
        return try PeerIdentify(PBIdentify(serializedBytes: Array(body.readableBytesView)))
    }
}

/// What a peer says about itself in identify. Fields it left out or that do not
/// decode are empty.
public struct PeerIdentify: Sendable {
    public var publicKey: PublicKey?
    public var protocols: [String]
    public var listenAddresses: [Multiaddr]
    /// Our address as the peer sees it.
    public var observedAddress: Multiaddr?
    public var protocolVersion: String
    public var agentVersion: String

    init(_ message: PBIdentify) {
        publicKey = message.hasPublicKey ? try? PublicKey(protobuf: Array(message.publicKey)) : nil
        protocols = message.protocols
        listenAddresses = message.listenAddrs.compactMap { try? Multiaddr(bytes: Array($0)) }
        observedAddress = message.hasObservedAddr ? try? Multiaddr(bytes: Array(message.observedAddr)) : nil
        protocolVersion = message.protocolVersion
        agentVersion = message.agentVersion
    }
}
