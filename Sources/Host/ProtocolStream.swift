import LibP2PCore
import LibP2PRegistry
import NIOCore

/// One stream of a connection after its protocol was negotiated: reads and writes
/// carry the protocol's bytes (any read ahead during negotiation included),
/// `reset()` aborts the muxed stream underneath.
public struct ProtocolStream: ByteStream {
    /// The protocol both sides agreed on (`/ipfs/ping/1.0.0`).
    public let protocolID: String
    private let negotiated: any ByteStream
    private let muxed: any MuxedStream

    init(protocolID: String, negotiated: any ByteStream, muxed: any MuxedStream) {
        self.protocolID = protocolID
        self.negotiated = negotiated
        self.muxed = muxed
    }

    public func read() async throws -> ByteBuffer? { try await negotiated.read() }
    public func write(_ buffer: ByteBuffer) async throws { try await negotiated.write(buffer) }
    public func closeWrite() async throws { try await negotiated.closeWrite() }
    public func close() async { await muxed.close() }
    /// Abruptly ends both directions; the remote sees a reset.
    public func reset() async { await muxed.reset() }
}
