import LibP2PCore
import LibP2PSockets
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The dialing side's pipeline: (TLS for wss), NIO's HTTP/1.1 client handlers with
/// its WebSocket upgrader, and `UpgradeRequester`, which sends `GET /` with `Host`
/// once the socket is up (the upgrader adds `Upgrade`, `Connection`,
/// `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13`, and checks
/// `Sec-WebSocket-Accept` in the answer). On `101` the frame codec,
/// `WebSocketFrameHandler` and the shared `ConnectionHandler` take over; bytes the
/// server sent right behind its answer are forwarded to them, not dropped.
enum ClientUpgrade {
    /// What `configure` made: the connection's buffers, and a future that completes
    /// when the upgrade is done (or fails with why not).
    struct Pending: Sendable {
        let buffers: ConnectionBuffers
        let upgraded: EventLoopFuture<Void>
    }

    static func configure(
        _ channel: any Channel, address: WebSocketAddress, tls: TLSContext?, maxFrameSize: Int, dialing: String
    ) throws -> Pending {
        let sync = channel.pipeline.syncOperations
        if let tls {
            try sync.addHandler(try TLSHandler(client: tls, serverName: address.serverName))
        }
        let buffers = ConnectionBuffers()
        let requester = UpgradeRequester(host: address.hostHeader, dialing: dialing, promise: channel.eventLoop.makePromise())
        let loopBound = NIOLoopBound(requester, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketClientUpgrader(
            maxFrameSize: maxFrameSize, automaticErrorHandling: true,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let result = Result {
                        try channel.pipeline.syncOperations.addHandler(WebSocketFrameHandler(role: .client))
                        try channel.pipeline.syncOperations.addHandler(ConnectionHandler(buffers))
                    }
                    loopBound.value.finish(result)
                    try result.get()
                }
            })
        try sync.addHTTPClientHandlers(
            leftOverBytesStrategy: .forwardBytes,
            // Upgraded: the requester leaves before NIO appends the frame codec.
            withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                loopBound.value.upgrading = true
                context.pipeline.syncOperations.removeHandler(loopBound.value, promise: nil)
            }))
        try sync.addHandler(requester)
        return Pending(buffers: buffers, upgraded: requester.promise.futureResult)
    }
}

/// Sends the upgrade request when the socket (and TLS, which buffers it) is up, and
/// turns whatever stops the upgrade into one failure of `promise`.
final class UpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let promise: EventLoopPromise<Void>
    private let host: String
    private let dialing: String
    private var done = false
    /// Set when the upgrade is accepted and this handler leaves the pipeline; the
    /// upgrade's pipeline setup then completes `promise`.
    var upgrading = false

    init(host: String, dialing: String, promise: EventLoopPromise<Void>) {
        self.host = host
        self.dialing = dialing
        self.promise = promise
    }

    func finish(_ result: Result<Void, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context)
        context.fireChannelActive()
    }

    private func sendRequest(_ context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// A response that reaches this handler was not an accepted upgrade.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            finish(.failure(WebSocketError.upgradeRefused(dialing, reason: "HTTP \(head.status.code) \(head.status.reasonPhrase)")))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: any Error
        switch error {
        case let upgradeError as NIOHTTPClientUpgradeError:
            failure = WebSocketError.upgradeRefused(dialing, reason: Self.describe(upgradeError))
        case let tlsError as WebSocketError:
            failure = tlsError
        default:
            failure = WebSocketError.upgradeRefused(dialing, reason: "\(error)")
        }
        finish(.failure(failure))
        context.fireErrorCaught(error)
    }

    /// Removed without an upgrade (the socket never connected, or closed): fail.
    func handlerRemoved(context: ChannelHandlerContext) {
        if !upgrading {
            finish(.failure(WebSocketError.upgradeRefused(dialing, reason: "the connection closed before the upgrade")))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(WebSocketError.upgradeRefused(dialing, reason: "the connection closed before the upgrade")))
        context.fireChannelInactive()
    }

    static func describe(_ error: NIOHTTPClientUpgradeError) -> String {
        switch error {
        case .responseProtocolNotFound: return "the answer names no upgrade we asked for"
        case .upgraderDeniedUpgrade: return "wrong or missing Sec-WebSocket-Accept"
        case .invalidHTTPOrdering: return "unexpected HTTP message order"
        case .writingToHandlerDuringUpgrade: return "a write during the upgrade"
        case .writingToHandlerAfterUpgradeCompleted, .writingToHandlerAfterUpgradeFailed: return "a write after the upgrade ended"
        default: return "\(error)"
        }
    }
}
