import LibP2PCore
@testable import LibP2PWebSocket
import NIOCore
import NIOEmbedded

/// WebSocket: the HTTP head reader (request and response), the server's and the
/// client's upgrade handshakes with what follows them, and the frame layer in both
/// roles. The handlers run in NIO's `EmbeddedChannel`, which is synchronous and
/// deterministic.
enum WebSocketTargets {
    static let all = [httpHead, serverHandshake, clientHandshake, frames]

    /// Bit 0 of the first byte: a request or a response head.
    static let httpHead = FuzzTarget(
        name: "ws-http-head",
        run: { bytes in
            var input = FuzzInput(bytes)
            let kind: HTTPHeadReader.Kind = input.byte() & 1 == 0 ? .request : .response
            var reader = HTTPHeadReader(kind, maxBytes: 8192)
            for chunk in input.chunks() {
                switch reader.feed(ByteBuffer(bytes: chunk)) {
                case .needMore: continue
                case .head(let head, _):
                    if kind == .request { _ = ServerUpgrade.decide(head) }
                    _ = head.hasToken("connection", "upgrade")
                    _ = head.values("sec-websocket-accept")
                    return
                case .invalid, .tooLarge: return
                }
            }
        },
        seeds: { [[0] + FuzzInput.whole(Array(request.utf8)), [1, 9] + Array(response.utf8)] })

    /// An accepted socket's pipeline before and after the upgrade: the request head,
    /// then (once upgraded) frames from the client.
    static let serverHandshake = FuzzTarget(
        name: "ws-server-handshake",
        run: { bytes in
            var input = FuzzInput(bytes)
            let limits = ServerUpgrade.Limits(headerTimeout: .seconds(10), maxHeaderBytes: 8192, maxFrameSize: 1 << 20)
            feed(input.chunks(), to: ServerUpgradeHandler(limits: limits, onUpgraded: { _, _ in }))
        },
        seeds: {
            let frame = FrameHeader.frame(opcode: FrameHeader.binary, payload: ByteBuffer(string: "/multistream/1.0.0\n"), mask: 0x1234_5678, allocator: ByteBufferAllocator())
            return [FuzzInput.whole(Array(request.utf8) + Array(frame.readableBytesView)), [16] + Array(request.utf8)]
        })

    /// A dialer's pipeline after the socket is up: it sends its upgrade request, then
    /// reads the server's answer (status, `Upgrade`/`Connection`, the
    /// `Sec-WebSocket-Accept` for its key) and, once upgraded, the server's frames,
    /// starting with any bytes that came right behind the answer. The key is fixed
    /// (the RFC 6455 sample) so that an input can carry the matching accept.
    static let clientHandshake = FuzzTarget(
        name: "ws-client-handshake",
        run: { bytes in
            var input = FuzzInput(bytes)
            feed(input.chunks()) { channel in
                _ = try ClientUpgrade.configure(
                    channel, address: dialedAddress, tls: nil, maxFrameSize: 1 << 20, dialing: "/ip4/127.0.0.1/tcp/4001/ws",
                    key: sampleKey)
            }
        },
        seeds: {
            let allocator = ByteBufferAllocator()
            let frames = [
                FrameHeader.frame(opcode: FrameHeader.binary, payload: ByteBuffer(string: "/multistream/1.0.0\n"), mask: nil, allocator: allocator),
                FrameHeader.frame(opcode: FrameHeader.ping, payload: ByteBuffer(string: "p"), mask: nil, allocator: allocator),
                FrameHeader.frame(opcode: FrameHeader.close, payload: ByteBuffer(bytes: [0x03, 0xE8]), mask: nil, allocator: allocator),
            ].flatMap { Array($0.readableBytesView) }
            let wrongAccept =
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"
            return [
                FuzzInput.whole(Array(response.utf8) + frames),
                [7] + Array(response.utf8) + frames,
                FuzzInput.whole(Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8)),
                FuzzInput.whole(Array(wrongAccept.utf8)),
            ]
        })

    /// Bit 0 of the first byte: we are the server (the peer must mask) or the client.
    static let frames = FuzzTarget(
        name: "ws-frames",
        run: { bytes in
            var input = FuzzInput(bytes)
            let role: WebSocketFrameHandler.Role = input.byte() & 1 == 0 ? .server : .client
            feed(input.chunks(), to: WebSocketFrameHandler(role: role, maxFrameSize: 1 << 20))
        },
        seeds: {
            func frames(mask: UInt32?) -> [UInt8] {
                let allocator = ByteBufferAllocator()
                return [
                    FrameHeader.frame(opcode: FrameHeader.binary, payload: ByteBuffer(string: "hello"), mask: mask, allocator: allocator),
                    FrameHeader.frame(opcode: FrameHeader.ping, payload: ByteBuffer(string: "p"), mask: mask, allocator: allocator),
                    FrameHeader.frame(opcode: FrameHeader.binary, payload: ByteBuffer(repeating: 0x41, count: 300), mask: mask, allocator: allocator),
                    FrameHeader.frame(opcode: FrameHeader.close, payload: ByteBuffer(bytes: [0x03, 0xE8]), mask: mask, allocator: allocator),
                ].flatMap { Array($0.readableBytesView) }
            }
            return [[0] + FuzzInput.whole(frames(mask: 0xA1B2_C3D4)), [1, 3] + frames(mask: nil)]
        })

    static let request =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:4001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    /// The answer to a request with `sampleKey`.
    static let response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let dialedAddress = WebSocketAddress(try! Multiaddr("/ip4/127.0.0.1/tcp/4001/ws"), allowPeerID: false)!

    /// Delivers `chunks` to `handler` in an active embedded channel until the handler
    /// closes it, then tears the channel down.
    static func feed(_ chunks: [[UInt8]], to handler: some ChannelHandler) {
        feed(chunks) { try $0.pipeline.syncOperations.addHandler(handler) }
    }

    /// Delivers `chunks` to the pipeline `setUp` builds, as above.
    static func feed(_ chunks: [[UInt8]], setUp: (EmbeddedChannel) throws -> Void) {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        do {
            try setUp(channel)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4001)).wait()
        } catch { return }
        for chunk in chunks where channel.isActive {
            do { try channel.writeInbound(ByteBuffer(bytes: chunk)) } catch { return }
            channel.embeddedEventLoop.run()
        }
    }
}
