import LibP2PCore
import LibP2PRegistry
import NIOCore

/// A listening socket (TCP's, or WebSocket's over TCP). Connections are established
/// by the event loop as peers arrive (for WebSocket: once the upgrade is done) and
/// wait in a bounded `AcceptQueue` until `accept()` takes them.
package final class SocketListener: Listener {
    package let localAddresses: [Multiaddr]
    private let serverChannel: any Channel
    private let queue: AcceptQueue

    package init(serverChannel: any Channel, queue: AcceptQueue, localAddress: Multiaddr) {
        self.serverChannel = serverChannel
        self.queue = queue
        self.localAddresses = [localAddress]
    }

    package func accept() async throws -> (any RawConnection)? {
        try await queue.pop(resumeAccepting: { [serverChannel] in serverChannel.read() })
    }

    package func close() async {
        for connection in queue.close() {
            await connection.close()
        }
        try? await serverChannel.close().get()
    }
}
