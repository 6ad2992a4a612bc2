import LibP2PCore
import LibP2PSockets
import NIOCore

/// The dialing side's pipeline: (TLS for wss), then `ClientUpgradeHandler`, which
/// sends the upgrade request once the socket (and TLS) is up and checks the answer;
/// on `101` `WebSocketFrameHandler` (the framing) and the shared
/// `ConnectionHandler` take its place, and bytes the server sent right behind its
/// answer are passed to them, not dropped.
enum ClientUpgrade {
    /// What `configure` made: the connection's buffers, and a future that completes
    /// when the upgrade is done (or fails with why not).
    struct Pending: Sendable {
        let buffers: ConnectionBuffers
        let upgraded: EventLoopFuture<Void>
    }

    /// The largest answer head we read (a `101` is about 130 bytes).
    static let maxResponseHead = 16 * 1024

    /// `key` is the `Sec-WebSocket-Key`: fresh for every dial; the fuzz target fixes
    /// it so that an input can carry the matching answer.
    static func configure(
        _ channel: any Channel, address: WebSocketAddress, tls: TLSContext?, maxFrameSize: Int, dialing: String,
        key: String = HandshakeKey.random()
    ) throws -> Pending {
        let sync = channel.pipeline.syncOperations
        if let tls {
            try sync.addHandler(try TLSHandler(client: tls, serverName: address.serverName))
        }
        let buffers = ConnectionBuffers()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        try sync.addHandler(
            ClientUpgradeHandler(
                host: address.hostHeader, key: key, dialing: dialing, maxFrameSize: maxFrameSize, buffers: buffers, promise: promise))
        return Pending(buffers: buffers, upgraded: promise.futureResult)
    }
}

/// Sends `GET /` with `Host`, `Upgrade: websocket`, `Connection: Upgrade`, a fresh
/// `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13` when the socket is up, then
/// waits for the answer (RFC 6455 §4.1: the client sends nothing more before it)
/// and checks it: status 101, the upgrade headers, and the `Sec-WebSocket-Accept`
/// that matches our key. Turns whatever stops the upgrade into one failure of
/// `promise`. Lives on the channel's event loop.
final class ClientUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: String
    private let expectedAccept: String
    private let dialing: String
    private let maxFrameSize: Int
    private let buffers: ConnectionBuffers
    private let promise: EventLoopPromise<Void>
    private var reader = HTTPHeadReader(.response, maxBytes: ClientUpgrade.maxResponseHead)
    private var sent = false
    private var done = false

    init(host: String, key: String, dialing: String, maxFrameSize: Int, buffers: ConnectionBuffers, promise: EventLoopPromise<Void>) {
        self.request =
            "GET / HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        self.expectedAccept = HandshakeKey.accept(for: key)
        self.dialing = dialing
        self.maxFrameSize = maxFrameSize
        self.buffers = buffers
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context)
        context.fireChannelActive()
    }

    private func sendRequest(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        // For wss the TLS handler holds this until its handshake is done.
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch reader.feed(unwrapInboundIn(data)) {
        case .needMore:
            return
        case .tooLarge:
            fail(context, "an answer head over \(ClientUpgrade.maxResponseHead) bytes")
        case .invalid(let why):
            fail(context, why)
        case .head(let head, let rest):
            if let refusal = check(head) { return fail(context, refusal) }
            upgrade(context, rest: rest)
        }
    }

    /// Why `head` is not an accepted upgrade of our request, or nil if it is.
    private func check(_ head: HTTPHead) -> String? {
        guard head.startLine[1] == "101" else {
            return "HTTP \(head.startLine[1])\(head.startLine.count > 2 ? " " + head.startLine[2] : "")"
        }
        guard head.hasToken("upgrade", "websocket"), head.hasToken("connection", "upgrade") else {
            return "a 101 without Upgrade: websocket and Connection: Upgrade"
        }
        guard head.values("sec-websocket-accept") == [expectedAccept] else { return "wrong or missing Sec-WebSocket-Accept" }
        return nil
    }

    private func upgrade(_ context: ChannelHandlerContext, rest: ByteBuffer) {
        done = true
        do {
            try context.pipeline.syncOperations.addHandlers(
                [
                    WebSocketFrameHandler(role: .client, maxFrameSize: maxFrameSize),
                    ConnectionHandler(buffers),
                ], position: .after(self))
        } catch {
            promise.fail(error)
            context.close(promise: nil)
            return
        }
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        promise.succeed()
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        finish(WebSocketError.upgradeRefused(dialing, reason: reason))
        context.close(promise: nil)
    }

    private func finish(_ error: any Error) {
        guard !done else { return }
        done = true
        promise.fail(error)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tlsError = error as? WebSocketError {
            finish(tlsError)
        } else {
            finish(WebSocketError.upgradeRefused(dialing, reason: "\(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(WebSocketError.upgradeRefused(dialing, reason: "the connection closed before the upgrade"))
        context.fireChannelInactive()
    }

    /// Removed without an upgrade (the channel was torn down): fail.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(WebSocketError.upgradeRefused(dialing, reason: "the connection closed before the upgrade"))
    }
}
