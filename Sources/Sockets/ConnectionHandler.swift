import LibP2PCore
import NIOCore

/// The one handler in a TCP connection's pipeline: hands received bytes and the end
/// of input to the connection's `InboundBuffer`, and withholds the socket reads
/// that the buffer has no room for. Lives on the channel's event loop.
package final class ConnectionHandler: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    private let inbound: InboundBuffer
    private let outbound: OutboundWindow
    /// Runs once the connection is established (a listener queues it for `accept()`).
    private var whenActive: ((any Channel) -> Void)?

    package init(_ buffers: ConnectionBuffers, whenActive: ((any Channel) -> Void)? = nil) {
        inbound = buffers.inbound
        outbound = buffers.outbound
        self.whenActive = whenActive
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { announceActive(context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        announceActive(context)
        context.fireChannelActive()
    }

    private func announceActive(_ context: ChannelHandlerContext) {
        guard let whenActive else { return }
        self.whenActive = nil
        whenActive(context.channel)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.receive(unwrapInboundIn(data))
    }

    package func read(context: ChannelHandlerContext) {
        if inbound.shouldRead() {
            context.read()
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The peer half-closed (needs `allowRemoteHalfClosure`): reads drain, then end.
        if case .inputClosed? = event as? ChannelEvent {
            inbound.finish(.eof)
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        inbound.finish(.eof)
        outbound.end(StreamError.closed)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let peer = context.remoteAddress.flatMap(Multiaddr.init(tcpSocketAddress:))?.description ?? "peer"
        let failure = TCPError.connectionFailed(peer, reason: SocketConnection.describe(error))
        inbound.finish(.failed(failure))
        outbound.end(failure)
        context.close(promise: nil)
    }
}

/// The state a connection shares between its handler (event loop) and its
/// `SocketConnection` (any task).
package struct ConnectionBuffers: Sendable {
    package init() {}
    package let inbound = InboundBuffer(
        highWatermark: SocketConnection.inboundHighWatermark, lowWatermark: SocketConnection.inboundLowWatermark)
    package let outbound = OutboundWindow(
        highWatermark: SocketConnection.outboundHighWatermark, lowWatermark: SocketConnection.outboundLowWatermark)
}
