import LibP2PCore
import NIOCore

/// The WebSocket framing between the socket (or TLS) and the shared
/// `ConnectionHandler`: turns binary messages into one continuous byte stream and
/// back (RFC 6455 as go-libp2p uses it). Inbound, every data frame's payload goes up
/// as it arrives, unmasked in place, so messages and fragments join without being
/// collected first and no frame is held whole; outbound, each write is one binary
/// message (split above `maxOutboundMessage`). Reads that the `ConnectionHandler`
/// withholds pass through here, so its backpressure reaches the socket unchanged.
///
/// The codec is written out (`FrameHeader`) rather than NIO's frame encoder and
/// decoder: two fewer handlers on every message's way, and less cold code in a fresh
/// process's first connection.
///
/// Rules kept: a server refuses unmasked frames and a client masked ones; no
/// reserved bits; fragments must be in order; control frames are whole and at most
/// 125 bytes; a frame is at most `maxFrameSize` bytes and a message `maxMessage`;
/// ping is answered with pong; the peer's close frame is our end of stream (codes
/// 1000 and 1005; any other code, or a close inside a fragmented message, is an
/// error). Text frames are read as bytes like binary ones, as go-libp2p does (it
/// reads every data message type into the stream). A violation sends the matching
/// close frame and fails our reader.
///
/// `closeWrite()` arrives as `close(mode: .output)` and sends our close frame: the
/// half-close; once both close frames have crossed, the socket closes.
final class WebSocketFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role { case client, server }

    /// Largest message we send: a bigger write goes out as several messages.
    static let maxOutboundMessage = 1 << 20
    /// Largest message we accept (py-libp2p's default limit): it is streamed, so
    /// this bounds a peer's message, not our memory.
    static let maxMessage = 32 << 20

    private let role: Role
    private let maxFrameSize: Int
    /// Bytes of a header that arrived split across reads (at most 13).
    private var partialHeader: ByteBuffer?
    /// The frame whose payload is arriving, and how much of it is still to come.
    private var frame: FrameHeader?
    private var payloadSeen = 0
    /// A control frame's payload, collected (≤ 125 bytes) until the frame ends.
    private var controlPayload: ByteBuffer?
    private var inFragmentedMessage = false
    private var messageBytes = 0
    private var sentClose = false
    private var receivedClose = false

    init(role: Role, maxFrameSize: Int) {
        self.role = role
        self.maxFrameSize = maxFrameSize
    }

    private var newMask: UInt32? { role == .client ? UInt32.random(in: .min ... .max) : nil }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var partial = partialHeader {
            partialHeader = nil
            partial.writeBuffer(&input)
            input = partial
        }
        // Frames after the peer's close, or after a violation, are ignored (§5.5.1).
        while !receivedClose {
            if frame == nil {
                guard input.readableBytes > 0 else { return }
                switch FrameHeader.parse(&input) {
                case .incomplete:
                    partialHeader = input
                    return
                case .invalid:
                    return fail(context, "a frame length over 2^63", code: 1002)
                case .header(let header):
                    guard begin(context, header) else { return }
                }
            }
            guard let current = frame else { return }
            let count = min(current.length - payloadSeen, input.readableBytes)
            if count > 0 {
                var chunk = input.readSlice(length: count)!
                if let mask = current.mask {
                    let offset = payloadSeen
                    chunk.withUnsafeMutableReadableBytes { FrameHeader.applyMask(mask, offset: offset, to: $0) }
                }
                payloadSeen += count
                if current.isControl {
                    controlPayload!.writeBuffer(&chunk)
                } else {
                    deliver(context, chunk)
                }
            }
            guard payloadSeen == current.length else { return }  // the rest is in a later read
            frame = nil
            if current.isControl { end(context, control: current) }
        }
    }

    /// Checks a new frame's header against the rules; false (after failing the
    /// connection) if it breaks one.
    private func begin(_ context: ChannelHandlerContext, _ header: FrameHeader) -> Bool {
        let violation: (String, UInt16)?
        if role == .server, header.mask == nil {
            violation = ("unmasked frame from the client", 1002)
        } else if role == .client, header.mask != nil {
            violation = ("masked frame from the server", 1002)
        } else if header.reserved != 0 {
            violation = ("reserved bits set, but no extension was negotiated", 1002)
        } else if header.length > maxFrameSize {
            violation = ("a frame of \(header.length) bytes, over the limit of \(maxFrameSize)", 1009)
        } else if header.isControl, !header.fin || header.length > 125 {
            violation = ("a fragmented control frame or one over 125 bytes", 1002)
        } else {
            switch header.opcode {
            case FrameHeader.binary, FrameHeader.text:
                violation = inFragmentedMessage ? ("a new message began inside a fragmented one", 1002) : nil
                messageBytes = 0
            case FrameHeader.continuation:
                violation = inFragmentedMessage ? nil : ("a continuation frame outside a fragmented message", 1002)
            case FrameHeader.close, FrameHeader.ping, FrameHeader.pong:
                violation = nil
            default:
                violation = ("unknown opcode \(header.opcode)", 1002)
            }
        }
        if let (what, code) = violation {
            fail(context, what, code: code)
            return false
        }
        if !header.isControl { inFragmentedMessage = !header.fin }
        frame = header
        payloadSeen = 0
        if header.isControl { controlPayload = context.channel.allocator.buffer(capacity: header.length) }
        return true
    }

    private func deliver(_ context: ChannelHandlerContext, _ payload: ByteBuffer) {
        messageBytes += payload.readableBytes
        guard messageBytes <= Self.maxMessage else {
            return fail(context, "a message over \(Self.maxMessage) bytes", code: 1009)
        }
        context.fireChannelRead(wrapInboundOut(payload))
    }

    private func end(_ context: ChannelHandlerContext, control header: FrameHeader) {
        var payload = controlPayload!
        controlPayload = nil
        switch header.opcode {
        case FrameHeader.ping:
            guard !sentClose else { return }
            let pong = FrameHeader.frame(opcode: FrameHeader.pong, payload: payload, mask: newMask, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case FrameHeader.close:
            receivedClose = true
            let code = payload.readInteger(as: UInt16.self).map(Int.init) ?? 1005
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            if inFragmentedMessage {
                fail(context, "closed in the middle of a message", code: 1002)
            } else if code != 1000 && code != 1005 {
                context.fireErrorCaught(WebSocketError.closedAbnormally(code: code, reason: reason))
            } else {
                // Our reader sees the end of the stream; we may still write (a half-close).
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
                if sentClose { context.close(promise: nil) }
            }
        default:
            break  // pong
        }
    }

    /// A violation: tell the peer with a close frame, then fail our reader (the
    /// `ConnectionHandler` closes the socket).
    private func fail(_ context: ChannelHandlerContext, _ what: String, code: UInt16) {
        receivedClose = true
        sendClose(context, code: code, promise: nil)
        context.fireErrorCaught(WebSocketError.protocolViolation(what))
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
        repeat {
            let chunk = bytes.readSlice(length: min(bytes.readableBytes, Self.maxOutboundMessage))!
            let last = bytes.readableBytes == 0
            if role == .server {
                // Unmasked: the header in front of the payload, which is not copied.
                var header = context.channel.allocator.buffer(capacity: 10)
                FrameHeader(fin: true, reserved: 0, opcode: FrameHeader.binary, mask: nil, length: chunk.readableBytes).write(to: &header)
                context.write(wrapOutboundOut(header), promise: nil)
                context.write(wrapOutboundOut(chunk), promise: last ? promise : nil)
            } else {
                // Masked: the payload must be copied anyway, so one buffer.
                let frame = FrameHeader.frame(opcode: FrameHeader.binary, payload: chunk, mask: newMask, allocator: context.channel.allocator)
                context.write(wrapOutboundOut(frame), promise: last ? promise : nil)
            }
        } while bytes.readableBytes > 0
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
                sendClose(context, code: 1000, promise: nil)
                context.close(mode: .all, promise: promise)
            } else {
                sendClose(context, code: 1000, promise: promise)
            }
        case .all:
            if !sentClose, context.channel.isActive { sendClose(context, code: 1000, promise: nil) }
            context.close(mode: .all, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    private func sendClose(_ context: ChannelHandlerContext, code: UInt16, promise: EventLoopPromise<Void>?) {
        guard !sentClose else {
            promise?.succeed()
            return
        }
        sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(code)
        let frame = FrameHeader.frame(opcode: FrameHeader.close, payload: payload, mask: newMask, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }
}
