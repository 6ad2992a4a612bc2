import LibP2PCore
import NIOCore
import NIOPosix

/// The UDP sockets of quic-v1, through NIO's datagram bootstrap: one per listener
/// (serving all its connections) and one per dial. The datagrams of one read
/// (up to `vectorReadCount`) go to `deliver` together, on the socket's event loop, so
/// that a connection answers a burst with one round of packets rather than one each.
enum QUICSocket {
    /// Kernel buffers big enough for a window's worth of packets in flight.
    static let socketBufferSize = 4 << 20
    /// The name of the handler that delivers datagrams (tests remove it to make a
    /// peer go silent).
    static let handlerName = "quic.datagrams"
    /// Datagrams taken per receive system call (recvmmsg).
    static let vectorReadCount = 32

    static func bind(
        to address: SocketAddress, on eventLoop: any EventLoop,
        deliver: @escaping @Sendable ([AddressedEnvelope<ByteBuffer>]) -> Void
    ) async throws -> any Channel {
        try await bootstrap(on: eventLoop, deliver: deliver, onError: nil)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(to: address).get()
    }

    /// A socket connected to `remote`: the kernel then reports an ICMP port
    /// unreachable as an error (`onError`), so a dial to a closed port fails at once
    /// instead of waiting out the handshake timeout.
    ///
    /// Without SO_REUSEADDR: Linux picks the ephemeral port of a connecting UDP
    /// socket among the ports other SO_REUSEADDR sockets hold, so two dials to one
    /// listener could share a 4-tuple, and the kernel then delivers both
    /// connections' datagrams to one socket: the other heard nothing and failed at
    /// its handshake or idle timeout (4–9 of 1,000 held connections did).
    static func connect(
        to remote: SocketAddress, on eventLoop: any EventLoop,
        deliver: @escaping @Sendable ([AddressedEnvelope<ByteBuffer>]) -> Void,
        onError: @escaping @Sendable (any Error) -> Void
    ) async throws -> any Channel {
        try await bootstrap(on: eventLoop, deliver: deliver, onError: onError).connect(to: remote).get()
    }

    private static func bootstrap(
        on eventLoop: any EventLoop, deliver: @escaping @Sendable ([AddressedEnvelope<ByteBuffer>]) -> Void,
        onError: (@Sendable (any Error) -> Void)?
    ) -> DatagramBootstrap {
        DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_rcvbuf), value: socketBufferSize)
            .channelOption(.socketOption(.so_sndbuf), value: socketBufferSize)
            // A vector read splits one buffer evenly between its messages: 2 KiB each
            // holds any datagram QUIC sends (ngtcp2 stays under 1452 bytes).
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorReadCount * 2048))
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramHandler(deliver: deliver, onError: onError), name: handlerName)
                }
            }
    }
}

/// Hands the datagrams of each read to the socket's owner; drops nothing itself.
final class DatagramHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let deliver: @Sendable ([AddressedEnvelope<ByteBuffer>]) -> Void
    let onError: (@Sendable (any Error) -> Void)?
    private var pending: [AddressedEnvelope<ByteBuffer>] = []

    init(deliver: @escaping @Sendable ([AddressedEnvelope<ByteBuffer>]) -> Void, onError: (@Sendable (any Error) -> Void)?) {
        self.deliver = deliver
        self.onError = onError
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        deliver(batch)
    }

    /// A listener's socket ignores errors (one peer's ICMP error must not disturb the
    /// others; QUIC's timers decide when a peer is gone). A dial's socket reports them.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        onError?(error)
    }
}
