import LibP2PCore
import LibP2PSockets
import Logging
import NIOCore

/// The listening side's pipeline for one accepted socket: (TLS for wss), then
/// `ServerUpgradeHandler`, which reads the upgrade request and answers it; once
/// `101` is sent, `WebSocketFrameHandler` (the framing) and the shared
/// `ConnectionHandler` take its place and the connection is queued for `accept()`.
/// A connection that does not upgrade never reaches `accept()`: it gets an answer
/// and is closed at once, and the listener goes on serving.
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
        try sync.addHandler(ServerUpgradeHandler(limits: limits, onUpgraded: onUpgraded))
    }

    /// What the handshake's request asks for, or why it cannot be upgraded
    /// (RFC 6455 §4.2.1): the answer's status, headers and a reason for its body.
    enum Decision: Equatable {
        case upgrade(accept: String)
        case refuse(status: Int, reason: String, extraHeaders: [String] = [])
    }

    static func decide(_ head: HTTPHead) -> Decision {
        guard head.hasToken("upgrade", "websocket"), head.hasToken("connection", "upgrade") else {
            return .refuse(status: 400, reason: "not a WebSocket upgrade request (needs Upgrade: websocket and Connection: Upgrade)")
        }
        guard head.startLine[0] == "GET" else {
            return .refuse(status: 405, reason: "a WebSocket upgrade must be a GET", extraHeaders: ["Allow: GET"])
        }
        let versions = head.values("sec-websocket-version")
        guard versions == ["13"] else {
            // RFC 6455 §4.4: name the version we speak.
            let given = versions.isEmpty ? "missing Sec-WebSocket-Version" : "unsupported Sec-WebSocket-Version \(versions.joined(separator: ", "))"
            return .refuse(status: 426, reason: "\(given) (this server speaks 13)", extraHeaders: ["Sec-WebSocket-Version: 13"])
        }
        let keys = head.values("sec-websocket-key")
        guard keys.count == 1, HandshakeKey.isValid(keys[0]) else {
            return .refuse(status: 400, reason: "missing or invalid Sec-WebSocket-Key (must be the base64 of 16 bytes)")
        }
        return .upgrade(accept: HandshakeKey.accept(for: keys[0]))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 405: return "Method Not Allowed"
        case 426: return "Upgrade Required"
        case 431: return "Request Header Fields Too Large"
        default: return "Bad Request"
        }
    }
}

/// Reads the upgrade request within `headerTimeout` and `maxHeaderBytes`, and
/// answers: `101` and the WebSocket pipeline, or an error status naming the reason,
/// then closes right after the answer is written. Lives on the channel's event loop.
final class ServerUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ServerUpgrade.Limits
    private let onUpgraded: @Sendable (any Channel, ConnectionBuffers) -> Void
    private var reader: HTTPHeadReader
    private var answered = false
    private var deadline: Scheduled<Void>?

    init(limits: ServerUpgrade.Limits, onUpgraded: @escaping @Sendable (any Channel, ConnectionBuffers) -> Void) {
        self.limits = limits
        self.onUpgraded = onUpgraded
        self.reader = HTTPHeadReader(.request, maxBytes: limits.maxHeaderBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Headers that never finish (for wss: a TLS handshake that never finishes
        // too) meet this deadline and the socket closes.
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(limits.headerTimeout.nanoseconds)) {
            ServerUpgrade.logger.debug("no WebSocket upgrade in time, closing", metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }  // after a refusal: discard until closed
        switch reader.feed(unwrapInboundIn(data)) {
        case .needMore:
            return
        case .tooLarge:
            refuse(context, status: 431, reason: "request head over \(limits.maxHeaderBytes) bytes or 64 fields")
        case .invalid(let why):
            refuse(context, status: 400, reason: "not a valid HTTP/1.1 request: \(why)")
        case .head(let head, let rest):
            switch ServerUpgrade.decide(head) {
            case .refuse(let status, let reason, let extra):
                refuse(context, status: status, reason: reason, extraHeaders: extra)
            case .upgrade(let accept):
                upgrade(context, accept: accept, rest: rest)
            }
        }
    }

    private func upgrade(_ context: ChannelHandlerContext, accept: String, rest: ByteBuffer) {
        answered = true
        deadline?.cancel()
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
        let buffers = ConnectionBuffers()
        let onUpgraded = self.onUpgraded
        do {
            try context.pipeline.syncOperations.addHandlers(
                [
                    WebSocketFrameHandler(role: .server, maxFrameSize: limits.maxFrameSize),
                    ConnectionHandler(buffers) { channel in onUpgraded(channel, buffers) },
                ], position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        // Frames the client sent right behind its request belong to the stream.
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, status: Int, reason: String, extraHeaders: [String] = []) {
        answered = true
        ServerUpgrade.logger.debug(
            "refusing a WebSocket upgrade", metadata: ["status": "\(status)", "reason": "\(reason)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        let body = reason + "\n"
        var response = "HTTP/1.1 \(status) \(ServerUpgrade.reasonPhrase(status))\r\nContent-Type: text/plain\r\n"
        for header in extraHeaders { response += header + "\r\n" }
        response += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        // Close as soon as the answer is written; the deadline still bounds a peer
        // that never reads it.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
