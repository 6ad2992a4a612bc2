import LibP2PCore
import NIOCore

/// The one handler in a TCP connection's pipeline: hands received bytes and the end
/// of input to the connection's `InboundBuffer`, and withholds the socket reads
/// that the buffer has no room for. Lives on the channel's event loop.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let inbound: InboundBuffer
    private let outbound: OutboundWindow
    /// Runs once the connection is established (a listener queues it for `accept()`).
    private var whenActive: ((any Channel) -> Void)?

    init(_ buffers: ConnectionBuffers, whenActive: ((any Channel) -> Void)? = nil) {
        inbound = buffers.inbound
        outbound = buffers.outbound
        self.whenActive = whenActive
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { announceActive(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        announceActive(context)
        context.fireChannelActive()
    }

    private func announceActive(_ context: ChannelHandlerContext) {
        guard let whenActive else { return }
        self.whenActive = nil
        whenActive(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.receive(unwrapInboundIn(data))
    }

    func read(context: ChannelHandlerContext) {
        if inbound.shouldRead() {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The peer half-closed (needs `allowRemoteHalfClosure`): reads drain, then end.
        if case .inputClosed? = event as? ChannelEvent {
            inbound.finish(.eof)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbound.finish(.eof)
        outbound.end(StreamError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let peer = context.remoteAddress.flatMap(Multiaddr.init(tcpSocketAddress:))?.description ?? "peer"
        let failure = TCPError.connectionFailed(peer, reason: TCPConnection.describe(error))
        inbound.finish(.failed(failure))
        outbound.end(failure)
        context.close(promise: nil)
    }
}

/// The state a connection shares between its handler (event loop) and its
/// `TCPConnection` (any task).
struct ConnectionBuffers: Sendable {
    let inbound = InboundBuffer(
        highWatermark: TCPConnection.inboundHighWatermark, lowWatermark: TCPConnection.inboundLowWatermark)
    let outbound = OutboundWindow(
        highWatermark: TCPConnection.outboundHighWatermark, lowWatermark: TCPConnection.outboundLowWatermark)
}
