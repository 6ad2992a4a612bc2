import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A plain TCP client that writes whatever a test gives it (no HTTP or WebSocket
/// rules), records every byte the listener answers and when the listener closed,
/// so a test can play a broken or hostile dialer byte for byte.
final class RawPeer: Sendable {
    private let channel: any Channel
    private let state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>

    private init(channel: any Channel, state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>) {
        self.channel = channel
        self.state = state
    }

    static func connect(to listener: any Listener) async throws -> RawPeer {
        let port = try Self.port(of: listener)
        let state = NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>(([], false))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Recorder(state)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawPeer(channel: channel, state: state)
    }

    /// The TCP port of a listener's first address (`/ip4/…/tcp/<port>/…`).
    static func port(of listener: any Listener) throws -> Int {
        let parts = listener.localAddresses[0].description.split(separator: "/")
        guard let tcp = parts.firstIndex(of: "tcp"), let port = Int(parts[tcp + 1]) else {
            throw TestFailure("no TCP port in \(listener.localAddresses[0])")
        }
        return port
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    var received: [UInt8] { state.withLockedValue { $0.bytes } }
    var receivedText: String { String(decoding: received, as: UTF8.self) }
    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Polls (every 5 ms, up to `limit`) until `condition` holds; false on timeout.
    func wait(upTo limit: Duration = .seconds(3), until condition: (RawPeer) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return condition(self)
    }

    /// Waits until the listener has closed the connection; false if it has not within `limit`.
    func waitClosed(upTo limit: Duration = .seconds(3)) async throws -> Bool {
        try await wait(upTo: limit) { $0.isClosed }
    }

    func close() async { try? await channel.close().get() }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>
        init(_ state: NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            state.withLockedValue { $0.bytes += bytes }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed? = event as? ChannelEvent { state.withLockedValue { $0.closed = true } }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A reset is a close too (the listener closing with unread input).
            state.withLockedValue { $0.closed = true }
            context.close(promise: nil)
        }
    }
}

/// WebSocket frames written by hand, so a test can send what no correct client would.
enum Frame {
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8

    /// The RFC 6455 example key and its accept value (§1.3).
    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    /// An upgrade request; a nil key or version leaves that header out.
    static func upgradeRequest(key: String? = sampleKey, version: String? = "13", method: String = "GET") -> String {
        "\(method) / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + (key.map { "Sec-WebSocket-Key: \($0)\r\n" } ?? "") + (version.map { "Sec-WebSocket-Version: \($0)\r\n" } ?? "") + "\r\n"
    }

    /// One frame; `mask` nil sends it unmasked. `declaredLength` lies about the size.
    static func make(
        opcode: UInt8, fin: Bool = true, payload: [UInt8], mask: [UInt8]? = [1, 2, 3, 4], declaredLength: Int? = nil
    ) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let length = declaredLength ?? payload.count
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if length < 126 {
            out.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out += [maskBit | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> shift)) }
        }
        guard let mask else { return out + payload }
        out += mask
        return out + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// The unmasked close frame a server sends with `code`.
    static func serverClose(_ code: UInt16) -> [UInt8] { [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)] }
}

extension Array where Element == UInt8 {
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
