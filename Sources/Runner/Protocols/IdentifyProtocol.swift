import Foundation
import LibP2PCore
import NIOCore
import SwiftProtobuf

/// `/ipfs/id/1.0.0` responder: one uvarint-length-prefixed `Identify` message, then
/// close. go, rust, py and js open it on every new connection; go waits for it
/// before opening streams, and nim refuses peers without it.
public enum IdentifyProtocol {
    public static let id = "/ipfs/id/1.0.0"
    public static let protocolVersion = "ipfs/0.1.0"
    public static let agentVersion = "swift-libp2p-interop/0.1.0"
    /// rust's cap on an identify message.
    public static let maxMessageSize = 4096

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

    /// Writes our identify message and closes our side.
    public static func respond(on stream: any ByteStream, message: ByteBuffer) async throws {
        try await stream.write(message)
        try await stream.closeWrite()
    }

    /// Reads a peer's identify message (used by tests and diagnostics).
    public static func read(from stream: any ByteStream) async throws -> PBIdentify {
        var reader = ByteStreamReader(stream)
        let body = try await reader.readLengthPrefixed(limit: maxMessageSize, what: "identify message")
        return try PBIdentify(serializedBytes: Array(body.readableBytesView))
    }
}
