import LibP2PCore
import LibP2PRegistry
import LibP2PSockets
import NIOCore
import NIOPosix

/// The TCP transport (`transport=tcp`): dials and listens on
/// `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, with Nagle off (`TCP_NODELAY`) for
/// latency, half-close support, and backpressure in both directions. SwiftNIO runs
/// the sockets on its shared event loops; nothing of it shows in this API beyond
/// the `ByteBuffer`s every byte stream carries.
public struct TCPTransport: ByteStreamTransport {
    public var name: String { "tcp" }

    /// How long `dial` waits for a connection to be established.
    public let connectTimeout: Duration

    /// The event loop every socket of this transport runs on, and the executor that
    /// runs tasks there. One loop: the interop binary drives a handful of
    /// connections, and keeping them with their tasks on one thread is what makes
    /// a round trip cheap.
    private let executor: EventLoopTaskExecutor

    public init(connectTimeout: Duration = .seconds(10)) {
        self.connectTimeout = connectTimeout
        // Taking a loop starts the shared event loops now, not on the first dial:
        // starting their threads costs milliseconds that would otherwise land in
        // the measured handshake.
        self.executor = EventLoopTaskExecutor.next()
    }

    public var preferredTaskExecutor: (any TaskExecutor)? { executor }

    /// True for `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, optionally followed by `/p2p/<id>`.
    public func canDial(_ address: Multiaddr) -> Bool {
        TCPEndpoint(address, allowPeerID: true) != nil
    }

    public func dial(_ address: Multiaddr) async throws -> any RawConnection {
        guard let endpoint = TCPEndpoint(address, allowPeerID: true) else {
            throw TCPError.unsupportedAddress(address.description)
        }
        let (channel, buffers) = try await SocketBootstrap.connect(
            address, endpoint: endpoint, on: executor.eventLoop, timeout: connectTimeout
        ) { channel in
            let buffers = ConnectionBuffers()
            try channel.pipeline.syncOperations.addHandler(ConnectionHandler(buffers))
            return buffers
        }
        return try SocketConnection(channel: channel, buffers: buffers)
    }

    /// Listens on `address` (`/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`; port 0 picks
    /// a free port, which `localAddresses` reports).
    public func listenAddress(ip: String) throws -> Multiaddr {
        Multiaddr(components: [try .ip(ip), .tcp(0)])
    }

    public func listen(_ address: Multiaddr) async throws -> any Listener {
        guard let endpoint = TCPEndpoint(address, allowPeerID: false) else {
            throw TCPError.unsupportedAddress(address.description)
        }
        let queue = AcceptQueue(limit: SocketBootstrap.acceptQueueLimit)
        let (serverChannel, local) = try await SocketBootstrap.listen(
            address, endpoint: endpoint, on: executor.eventLoop, queue: queue
        ) { child in
            let buffers = ConnectionBuffers()
            let handler = ConnectionHandler(buffers) { channel in
                // Established: hand it to accept(), or drop it if the listener closed.
                guard let connection = try? SocketConnection(channel: channel, buffers: buffers) else { return }
                if !queue.push(connection) { connection.closeNow() }
            }
            try child.pipeline.syncOperations.addHandler(handler)
        }
        return SocketListener(serverChannel: serverChannel, queue: queue, localAddress: local)
    }
}
