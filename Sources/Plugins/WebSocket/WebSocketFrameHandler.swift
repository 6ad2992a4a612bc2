import LibP2PCore
import NIOCore
import NIOWebSocket

/// Between NIO's WebSocket frame codec and the shared `ConnectionHandler`: turns
/// binary messages into one continuous byte stream and back (RFC 6455 as
/// go-libp2p uses it). Inbound, every data frame's payload goes up as it arrives,
/// so messages and fragments join without being collected first; outbound, each
/// write is one binary message (split above `maxOutboundMessage`). Reads that the
/// `ConnectionHandler` withholds pass through here, so its backpressure reaches the
/// socket unchanged.
///
/// Rules kept: a server refuses unmasked frames and a client masked ones; fragments
/// must be in order; a message is at most `maxMessage` bytes (frames are bounded by
/// the decoder's `maxFrameSize`); ping is answered with pong; the peer's close frame
/// is our end of stream (codes 1000 and 1005; any other code, or a close inside a
/// fragmented message, is an error). Text frames are read as bytes like binary
/// ones, as go-libp2p does (it reads every data message type into the stream).
///
/// `closeWrite()` arrives as `close(mode: .output)` and sends our close frame: the
/// half-close; once both close frames have crossed, the socket closes.
final class WebSocketFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    enum Role { case client, server }

    /// Largest message we send: a bigger write goes out as several messages.
    static let maxOutboundMessage = 1 << 20
    /// Largest message we accept (py-libp2p's default limit): it is streamed, so
    /// this bounds a peer's message, not our memory (the frame size does that).
    static let maxMessage = 32 << 20

    private let role: Role
    private var inFragmentedMessage = false
    private var messageBytes = 0
    private var sentClose = false
    private var receivedClose = false

    init(role: Role) { self.role = role }

    private var maskKey: WebSocketMaskingKey? { role == .client ? .random() : nil }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // Frames after the peer's close are ignored (RFC 6455 §5.5.1).
        guard !receivedClose else { return }
        if role == .server, frame.maskKey == nil {
            return fail(context, "unmasked frame from the client", code: .protocolError)
        }
        if role == .client, frame.maskKey != nil {
            return fail(context, "masked frame from the server", code: .protocolError)
        }
        if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            return fail(context, "reserved bits set, but no extension was negotiated", code: .protocolError)
        }
        switch frame.opcode {
        case .binary, .text:
            guard !inFragmentedMessage else {
                return fail(context, "a new message began inside a fragmented one", code: .protocolError)
            }
            inFragmentedMessage = !frame.fin
            messageBytes = 0
            deliver(context, frame)
        case .continuation:
            guard inFragmentedMessage else {
                return fail(context, "a continuation frame outside a fragmented message", code: .protocolError)
            }
            inFragmentedMessage = !frame.fin
            deliver(context, frame)
        case .ping:
            guard !sentClose else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: maskKey, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            peerClosed(context, frame)
        default:
            fail(context, "unknown opcode \(frame.opcode)", code: .protocolError)
        }
    }

    private func deliver(_ context: ChannelHandlerContext, _ frame: WebSocketFrame) {
        let payload = frame.unmaskedData
        messageBytes += payload.readableBytes
        guard messageBytes <= Self.maxMessage else {
            return fail(context, "a message over \(Self.maxMessage) bytes", code: .messageTooLarge)
        }
        if payload.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(payload))
        }
    }

    private func peerClosed(_ context: ChannelHandlerContext, _ frame: WebSocketFrame) {
        receivedClose = true
        var payload = frame.unmaskedData
        let code = payload.readInteger(as: UInt16.self).map(Int.init) ?? 1005
        let reason = payload.readString(length: payload.readableBytes) ?? ""
        if inFragmentedMessage {
            fail(context, "closed in the middle of a message", code: .protocolError)
        } else if code != 1000 && code != 1005 {
            context.fireErrorCaught(WebSocketError.closedAbnormally(code: code, reason: reason))
        } else {
            // Our reader sees the end of the stream; we may still write (a half-close).
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            if sentClose { context.close(promise: nil) }
        }
    }

    /// A violation: tell the peer with a close frame, then fail our reader (the
    /// `ConnectionHandler` closes the socket).
    private func fail(_ context: ChannelHandlerContext, _ what: String, code: WebSocketErrorCode) {
        receivedClose = true
        sendClose(context, code: code, promise: nil)
        context.fireErrorCaught(WebSocketError.protocolViolation(what))
    }

    /// The frame decoder's refusals (a frame over `maxFrameSize`, a fragmented or
    /// oversized control frame): the peer gets the matching close frame and our
    /// reader the failure. Handled here rather than by NIO's
    /// `WebSocketProtocolErrorHandler`, which closes the socket as soon as its close
    /// frame is written, so the reader would see a clean end instead of the error.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let codecError = error as? NIOWebSocketError else { return context.fireErrorCaught(error) }
        switch codecError {
        case .invalidFrameLength: fail(context, "a frame over the size limit", code: .messageTooLarge)
        case .fragmentedControlFrame: fail(context, "a fragmented control frame", code: .protocolError)
        case .multiByteControlFrameLength: fail(context, "a control frame over 125 bytes", code: .protocolError)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The TCP stream ended: after a close frame that is the expected end; without
        // one the peer vanished mid-conversation (go reports 1006, abnormal closure).
        if case .inputClosed? = event as? ChannelEvent {
            if !receivedClose {
                receivedClose = true
                context.fireErrorCaught(WebSocketError.closedAbnormally(code: 1006, reason: "no close frame"))
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !sentClose else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        var bytes = unwrapOutboundIn(data)
        while bytes.readableBytes > Self.maxOutboundMessage {
            let chunk = bytes.readSlice(length: Self.maxOutboundMessage)!
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: maskKey, data: chunk)), promise: nil)
        }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: maskKey, data: bytes)), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            guard !sentClose else {
                promise?.succeed()
                return
            }
            if receivedClose {
                // Both close frames crossed: the WebSocket is done, so is the socket.
                sendClose(context, code: .normalClosure, promise: nil)
                context.close(mode: .all, promise: promise)
            } else {
                sendClose(context, code: .normalClosure, promise: promise)
            }
        case .all:
            if !sentClose, context.channel.isActive { sendClose(context, code: .normalClosure, promise: nil) }
            context.close(mode: .all, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    private func sendClose(_ context: ChannelHandlerContext, code: WebSocketErrorCode, promise: EventLoopPromise<Void>?) {
        guard !sentClose else {
            promise?.succeed()
            return
        }
        sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskKey, data: payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }
}
