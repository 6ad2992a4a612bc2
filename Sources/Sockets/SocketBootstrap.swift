#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore
import LibP2PRegistry
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The one place sockets are made, for every transport that runs over TCP: TCP
/// hands out the socket as it is, WebSocket adds its handlers (TLS, HTTP upgrade,
/// frames) in front of the shared `ConnectionHandler`. Same socket options, same
/// accept queue, same error reporting.
package enum SocketBootstrap {
    /// How many established connections may wait for `accept()` before the
    /// listening socket stops accepting (new peers then wait in the kernel backlog).
    package static let acceptQueueLimit = 64

    /// How much one socket read may take. NIO's default stops at 64 KiB, just under
    /// one full Noise message (65,537 bytes on the wire), so on a bulk transfer nearly
    /// every message spanned two reads and had to be gathered (copied); a read of up
    /// to 256 KiB carries four, needs a quarter of the reads, and cuts at most one.
    /// Small exchanges still get small buffers: the allocator adapts to what reads
    /// return. Bounded: at most one read beyond the inbound high watermark.
    package static let maxReadSize = 256 * 1024
    static var receiveAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maxReadSize)
    }

    /// Connects to `address`, trying each of its resolved socket addresses in order
    /// within `timeout`. `initialize` sets up each attempt's channel pipeline (on
    /// its event loop) before any byte flows, and returns what it made for it (the
    /// connection's buffers), handed back with the channel that connected.
    package static func connect<Made: Sendable>(
        _ address: Multiaddr, endpoint: TCPEndpoint, on eventLoop: any EventLoop, timeout: Duration,
        initialize: @escaping @Sendable (any Channel) throws -> Made
    ) async throws -> (any Channel, Made) {
        let deadline = ContinuousClock.now + timeout
        var lastError: any Error = TCPError.connectTimeout(address.description, seconds: timeout.seconds)
        // A name may resolve to several addresses: try them in order until one answers.
        for target in try await endpoint.socketAddresses(for: address) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            let made = NIOLockedValueBox<Made?>(nil)
            let bootstrap = ClientBootstrap(group: eventLoop)
                .connectTimeout(.nanoseconds(remaining.nanoseconds))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.recvAllocator, value: receiveAllocator)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let value = try initialize(channel)
                        made.withLockedValue { $0 = value }
                    }
                }
            do {
                let channel = try await bootstrap.connect(to: target).get()
                guard let value = made.withLockedValue({ $0 }) else {
                    channel.close(promise: nil)
                    throw TCPError.dialFailed(address.description, reason: "the pipeline was not set up")
                }
                return (channel, value)
            } catch {
                lastError = dialError(error, address: address, timeout: remaining)
            }
        }
        throw lastError
    }

    package static func dialError(_ error: any Error, address: Multiaddr, timeout: Duration) -> TCPError {
        switch error {
        case let io as IOError where io.errnoCode == ECONNREFUSED:
            return .connectionRefused(address.description)
        case ChannelError.connectTimeout:
            return .connectTimeout(address.description, seconds: timeout.seconds)
        default:
            return .dialFailed(address.description, reason: SocketConnection.describe(error))
        }
    }

    /// Binds a listening socket on `endpoint`. `initializeChild` sets up each
    /// accepted channel's pipeline; it must end in a `ConnectionHandler` whose
    /// `whenActive` pushes the connection on the queue it is given. Returns the
    /// server channel and the bound `/ip4|ip6/…/tcp/<port>` address.
    package static func listen(
        _ address: Multiaddr, endpoint: TCPEndpoint, on eventLoop: any EventLoop, queue: AcceptQueue,
        initializeChild: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> (any Channel, Multiaddr) {
        guard let bindAddress = try await endpoint.socketAddresses(for: address).first else {
            throw TCPError.cannotResolve(address.description, reason: "no address found")
        }
        let bootstrap = ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptGate(queue: queue))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.recvAllocator, value: receiveAllocator)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try initializeChild(child) }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(to: bindAddress).get()
        } catch {
            throw TCPError.listenFailed(address.description, reason: SocketConnection.describe(error))
        }
        guard let local = serverChannel.localAddress.flatMap(Multiaddr.init(tcpSocketAddress:)) else {
            try? await serverChannel.close().get()
            throw TCPError.listenFailed(address.description, reason: "no local address")
        }
        return (serverChannel, local)
    }
}

extension Duration {
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
