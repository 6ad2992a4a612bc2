internal import COpenSSL
import LibP2PCore
import NIOCore

/// The TLS layer of wss as a channel handler: an OpenSSL `SSL` over two memory
/// BIOs (as the TLS security plugin drives it), ciphertext on the socket side,
/// plaintext toward the HTTP and WebSocket handlers. Writes made before the
/// handshake ends (the upgrade request) wait here, in order; after it, every
/// plaintext write becomes records written at once with the writer's promise.
/// Reads pass through untouched, so the `ConnectionHandler`'s backpressure still
/// reaches the socket. Lives on the channel's event loop like any handler.
final class TLSHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let readChunk = 16 * 1024

    private let ssl: OpaquePointer
    private let fromPeer: OpaquePointer
    private let toPeer: OpaquePointer
    private let isClient: Bool
    private var handshakeDone = false
    private var failed = false
    private var waitingWrites = CircularBuffer<(ByteBuffer, EventLoopPromise<Void>?)>()

    convenience init(server context: TLSContext) throws {
        try self.init(context: context, client: false, serverName: nil)
    }

    convenience init(client context: TLSContext, serverName: String?) throws {
        try self.init(context: context, client: true, serverName: serverName)
    }

    private init(context: TLSContext, client: Bool, serverName: String?) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw WebSocketError.tls("SSL_new: \(OpenSSLErrorQueue.drain())") }
        guard let (fromPeer, toPeer) = OpenSSLMemoryBIOs.attach(to: ssl) else {  // `ssl` owns both from here
            SSL_free(ssl)
            throw WebSocketError.tls("out of memory")
        }
        self.ssl = ssl
        self.fromPeer = fromPeer
        self.toPeer = toPeer
        self.isClient = client
        if client {
            if let serverName {
                // SSL_set_tlsext_host_name is a macro over SSL_ctrl.
                _ = serverName.withCString {
                    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0))
                }
            }
            SSL_set_connect_state(ssl)
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    deinit { SSL_free(ssl) }

    // MARK: Handshake

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive, isClient { advanceHandshake(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if isClient { advanceHandshake(context) }
        context.fireChannelActive()
    }

    private func advanceHandshake(_ context: ChannelHandlerContext) {
        guard !handshakeDone, !failed else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            flushCiphertext(context)
            while let (plaintext, promise) = waitingWrites.popFirst() {
                encrypt(context, plaintext, promise: promise)
            }
            context.flush()
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            flushCiphertext(context)
            context.flush()
        default:
            fail(context, WebSocketError.tls("handshake: \(OpenSSLErrorQueue.drain())"))
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let ciphertext = unwrapInboundIn(data)
        ciphertext.withUnsafeReadableBytes { bytes in
            // A memory BIO takes everything (it only fails when out of memory).
            if let base = bytes.baseAddress, bytes.count > 0 { _ = BIO_write(fromPeer, base, Int32(bytes.count)) }
        }
        if !handshakeDone {
            advanceHandshake(context)
            guard handshakeDone else { return }
        }
        readPlaintext(context)
    }

    private func readPlaintext(_ context: ChannelHandlerContext) {
        ERR_clear_error()
        while !failed {
            var buffer = context.channel.allocator.buffer(capacity: Self.readChunk)
            var count = 0
            let result = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readChunk) { space -> Int in
                SSL_read_ex(ssl, space.baseAddress, space.count, &count) == 1 ? count : 0
            }
            if result > 0 {
                context.fireChannelRead(wrapInboundOut(buffer))
                continue
            }
            switch SSL_get_error(ssl, 0) {
            case SSL_ERROR_WANT_READ:
                break
            case SSL_ERROR_ZERO_RETURN:
                // close_notify: the peer's end of input.
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            default:
                fail(context, WebSocketError.tls("receiving: \(OpenSSLErrorQueue.drain())"))
            }
            break
        }
        // Reading may have produced records to send (TLS 1.3 key updates, tickets).
        flushCiphertext(context)
        context.flush()
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        if failed {
            promise?.fail(ChannelError.ioOnClosedChannel)
        } else if handshakeDone {
            encrypt(context, plaintext, promise: promise)
        } else {
            waitingWrites.append((plaintext, promise))
        }
    }

    private func encrypt(_ context: ChannelHandlerContext, _ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        ERR_clear_error()
        let ok = plaintext.withUnsafeReadableBytes { bytes -> Bool in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
            var written = 0
            // With a memory BIO that never pushes back, OpenSSL writes all or fails.
            return SSL_write_ex(ssl, base, bytes.count, &written) == 1 && written == bytes.count
        }
        guard ok else {
            let error = WebSocketError.tls("encrypting: \(OpenSSLErrorQueue.drain())")
            promise?.fail(error)
            return fail(context, error)
        }
        if let ciphertext = takeCiphertext(context) {
            context.write(wrapOutboundOut(ciphertext), promise: promise)
        } else {
            promise?.succeed()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, handshakeDone, !failed {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)  // queues close_notify
            ERR_clear_error()
            flushCiphertext(context)
            context.flush()
        }
        for (_, waiting) in waitingWrites { waiting?.fail(ChannelError.ioOnClosedChannel) }
        waitingWrites.removeAll()
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        for (_, waiting) in waitingWrites { waiting?.fail(ChannelError.ioOnClosedChannel) }
        waitingWrites.removeAll()
        context.fireChannelInactive()
    }

    // MARK: Ciphertext out

    private func takeCiphertext(_ context: ChannelHandlerContext) -> ByteBuffer? {
        let pending = BIO_ctrl_pending(toPeer)
        guard pending > 0 else { return nil }
        var buffer = context.channel.allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
            Int(max(0, BIO_read(toPeer, space.baseAddress, Int32(pending))))
        }
        return buffer
    }

    private func flushCiphertext(_ context: ChannelHandlerContext) {
        if let ciphertext = takeCiphertext(context) {
            context.write(wrapOutboundOut(ciphertext), promise: nil)
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: WebSocketError) {
        guard !failed else { return }
        failed = true
        // Send the alert OpenSSL may have queued, then give up on the connection.
        flushCiphertext(context)
        context.flush()
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
