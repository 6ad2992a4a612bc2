#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore
import LibP2PRegistry
import NIOCore
import NIOPosix

/// The TCP transport (`transport=tcp`): dials and listens on
/// `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, with Nagle off (`TCP_NODELAY`) for
/// latency, half-close support, and backpressure in both directions. SwiftNIO runs
/// the sockets on its shared event loops; nothing of it shows in this API beyond
/// the `ByteBuffer`s every byte stream carries.
public struct TCPTransport: Transport {
    public var name: String { "tcp" }

    /// How long `dial` waits for a connection to be established.
    public let connectTimeout: Duration

    /// How many established connections may wait for `accept()` before the
    /// listening socket stops accepting (new peers then wait in the kernel backlog).
    static let acceptQueueLimit = 64

    public init(connectTimeout: Duration = .seconds(10)) {
        self.connectTimeout = connectTimeout
        // Start the shared event loops now, not on the first dial: starting their
        // threads costs milliseconds that would otherwise land in the measured
        // handshake.
        _ = MultiThreadedEventLoopGroup.singleton
    }

    /// True for `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, optionally followed by `/p2p/<id>`.
    public func canDial(_ address: Multiaddr) -> Bool {
        TCPEndpoint(address, allowPeerID: true) != nil
    }

    public func dial(_ address: Multiaddr) async throws -> any RawConnection {
        guard let endpoint = TCPEndpoint(address, allowPeerID: true) else {
            throw TCPError.unsupportedAddress(address.description)
        }
        let deadline = ContinuousClock.now + connectTimeout
        var lastError: any Error = TCPError.connectTimeout(address.description, seconds: connectTimeout.seconds)
        // A name may resolve to several addresses: try them in order until one answers.
        for target in try await endpoint.socketAddresses(for: address) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            do {
                return try await connect(to: target, within: remaining, dialing: address)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func connect(to target: SocketAddress, within timeout: Duration, dialing address: Multiaddr) async throws
        -> TCPConnection
    {
        let buffers = ConnectionBuffers()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(buffers))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: target).get()
        } catch {
            throw Self.dialError(error, address: address, timeout: timeout)
        }
        return try TCPConnection(channel: channel, buffers: buffers)
    }

    static func dialError(_ error: any Error, address: Multiaddr, timeout: Duration) -> TCPError {
        switch error {
        case let io as IOError where io.errnoCode == ECONNREFUSED:
            return .connectionRefused(address.description)
        case ChannelError.connectTimeout:
            return .connectTimeout(address.description, seconds: timeout.seconds)
        default:
            return .dialFailed(address.description, reason: TCPConnection.describe(error))
        }
    }

    /// Listens on `address` (`/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`; port 0 picks
    /// a free port, which `localAddresses` reports).
    public func listen(_ address: Multiaddr) async throws -> any Listener {
        guard let endpoint = TCPEndpoint(address, allowPeerID: false) else {
            throw TCPError.unsupportedAddress(address.description)
        }
        guard let bindAddress = try await endpoint.socketAddresses(for: address).first else {
            throw TCPError.cannotResolve(address.description, reason: "no address found")
        }
        let queue = AcceptQueue(limit: Self.acceptQueueLimit)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptGate(queue: queue))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let buffers = ConnectionBuffers()
                    let handler = ConnectionHandler(buffers) { channel in
                        // Established: hand it to accept(), or drop it if the listener closed.
                        guard let connection = try? TCPConnection(channel: channel, buffers: buffers) else { return }
                        if !queue.push(connection) { connection.closeNow() }
                    }
                    try child.pipeline.syncOperations.addHandler(handler)
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(to: bindAddress).get()
        } catch {
            throw TCPError.listenFailed(address.description, reason: TCPConnection.describe(error))
        }
        guard let local = serverChannel.localAddress.flatMap(Multiaddr.init(tcpSocketAddress:)) else {
            try? await serverChannel.close().get()
            throw TCPError.listenFailed(address.description, reason: "no local address")
        }
        return TCPListener(serverChannel: serverChannel, queue: queue, localAddress: local)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
