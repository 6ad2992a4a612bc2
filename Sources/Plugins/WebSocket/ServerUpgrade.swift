import LibP2PCore
import LibP2PSockets
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The listening side's pipeline for one accepted socket: (TLS for wss), NIO's
/// HTTP/1.1 server handlers with its WebSocket upgrader, then, once `101` is sent,
/// the frame codec, `WebSocketFrameHandler` and the shared `ConnectionHandler`,
/// which queues the connection for `accept()`. A connection that does not
/// upgrade never reaches `accept()`; it gets an answer and is closed, and the
/// listener goes on serving:
///
/// - junk instead of HTTP, or headers over `maxHeaderBytes`: NIO's HTTP error
///   handler answers `400` and closes;
/// - a request without an upgrade, with a missing or malformed
///   `Sec-WebSocket-Key`, a version other than 13, or a method other than GET:
///   `RejectHandler` answers `400` naming the reason and closes;
/// - no complete upgrade within `headerTimeout`: closed.
enum ServerUpgrade {
    struct Limits: Sendable {
        var headerTimeout: Duration
        var maxHeaderBytes: Int
        var maxFrameSize: Int
    }

    static let logger = Logger(label: "libp2p.ws")

    static func configure(
        _ channel: any Channel, secure: TLSContext?, limits: Limits, onUpgraded: @escaping @Sendable (any Channel, ConnectionBuffers) -> Void
    ) throws {
        let sync = channel.pipeline.syncOperations
        if let secure {
            try sync.addHandler(try TLSHandler(server: secure))
        }
        // Headers that never finish: the deadline closes the socket.
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(limits.headerTimeout.nanoseconds)) {
            logger.debug("no WebSocket upgrade in time, closing", metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
        }
        let reject = NIOLoopBound(RejectHandler(), eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: limits.maxFrameSize, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // NIO checks the key's presence and the version; the key must also be
                // the base64 of 16 bytes (RFC 6455 §4.2.1), and the method GET.
                guard head.method == .GET, Self.isValidKey(head.headers["Sec-WebSocket-Key"].first) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                deadline.cancel()
                return channel.eventLoop.makeCompletedFuture {
                    let buffers = ConnectionBuffers()
                    try channel.pipeline.syncOperations.addHandler(WebSocketFrameHandler(role: .server))
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(buffers) { channel in onUpgraded(channel, buffers) })
                }
            })
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = 64
        try sync.configureHTTPServerPipeline(
            position: .last, withPipeliningAssistance: false,
            // Upgraded: the reject handler leaves before NIO appends the frame codec.
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.syncOperations.removeHandler(reject.value, promise: nil)
            }),
            withErrorHandling: true, withOutboundHeaderValidation: true, withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: decoderLimits)
        try sync.addHandler(reject.value)
    }

    /// A `Sec-WebSocket-Key` is 24 base64 characters ending in `==` (16 bytes).
    static func isValidKey(_ key: String?) -> Bool {
        guard let key, key.utf8.count == 24, key.hasSuffix("==") else { return false }
        return key.utf8.dropLast(2).allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
        }
    }
}

/// After the upgrade handler: any request that reaches it was not upgraded. It
/// answers `400 Bad Request` with the reason in the body and closes.
final class RejectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var reason = "not a WebSocket upgrade request"
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The WebSocket upgrader explains a refused upgrade here, before the request
        // itself is passed on.
        if let upgradeError = error as? NIOWebSocketUpgradeError {
            reason = upgradeError == .invalidUpgradeHeader
                ? "missing or invalid Sec-WebSocket-Key or Sec-WebSocket-Version (must be 13)"
                : "refused WebSocket upgrade: a GET with a valid Sec-WebSocket-Key is required"
            return
        }
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        if head.headers["Upgrade"].isEmpty, reason == "not a WebSocket upgrade request" {
            reason = "not a WebSocket upgrade request (no Upgrade: websocket)"
        }
        ServerUpgrade.logger.debug(
            "refusing a WebSocket upgrade", metadata: ["reason": "\(reason)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        var body = context.channel.allocator.buffer(capacity: reason.utf8.count + 1)
        body.writeString(reason + "\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
