import LibP2PCore
import LibP2PRegistry
import NIOCore

/// The "secured" stream: the raw stream (with any bytes the handshake read ahead
/// put back in front), labelled with both peers' identities.
final class PlaintextChannel: SecureChannel {
    let stream: any ByteStream
    let localPeer: PeerID
    let remotePeer: PeerID
    let remotePublicKey: PublicKey
    var earlyMuxer: String? { nil }

    init(stream: any ByteStream, localPeer: PeerID, remotePeer: PeerID, remotePublicKey: PublicKey) {
        self.stream = stream
        self.localPeer = localPeer
        self.remotePeer = remotePeer
        self.remotePublicKey = remotePublicKey
    }

    func read() async throws -> ByteBuffer? { try await stream.read() }
    func write(_ buffer: ByteBuffer) async throws { try await stream.write(buffer) }
    func closeWrite() async throws { try await stream.closeWrite() }
    func close() async { await stream.close() }
}
