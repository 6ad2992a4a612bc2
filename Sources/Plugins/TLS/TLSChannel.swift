import LibP2PCore
import LibP2PRegistry
import NIOCore

/// A libp2p connection secured by TLS 1.3, with the peer authenticated by its
/// certificate's libp2p extension.
final class TLSChannel: SecureChannel {
    let localPeer: PeerID
    let remotePeer: PeerID
    let remotePublicKey: PublicKey
    let earlyMuxer: String?
    private let session: TLSSession

    init(session: TLSSession, localPeer: PeerID, remotePublicKey: PublicKey, earlyMuxer: String?) {
        self.session = session
        self.localPeer = localPeer
        self.remotePeer = remotePublicKey.peerID
        self.remotePublicKey = remotePublicKey
        self.earlyMuxer = earlyMuxer
    }

    func read() async throws -> ByteBuffer? { try await session.read() }
    func write(_ buffer: ByteBuffer) async throws { try await session.write(buffer) }
    /// Sends TLS close_notify and half-closes the stream below; the peer reads end of stream.
    func closeWrite() async throws { try await session.closeWrite() }
    func close() async { await session.close() }
}
