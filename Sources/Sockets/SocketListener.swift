import LibP2PCore
import LibP2PRegistry
import NIOCore

/// A listening TCP socket. Connections are established by the event loop as peers
/// arrive and wait in a bounded `AcceptQueue` until `accept()` takes them.
final class TCPListener: Listener {
    let localAddresses: [Multiaddr]
    private let serverChannel: any Channel
    private let queue: AcceptQueue

    init(serverChannel: any Channel, queue: AcceptQueue, localAddress: Multiaddr) {
        self.serverChannel = serverChannel
        self.queue = queue
        self.localAddresses = [localAddress]
    }

    func accept() async throws -> (any RawConnection)? {
        try await queue.pop(resumeAccepting: { [serverChannel] in serverChannel.read() })
    }

    func close() async {
        for connection in queue.close() {
            await connection.close()
        }
        try? await serverChannel.close().get()
    }
}
