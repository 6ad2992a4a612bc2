import LibP2PCore
import NIOCore
import NIOPosix

/// A plain UDP socket for sending a listener what no QUIC stack would (garbage,
/// truncated Initials, unknown versions) and collecting what comes back.
struct RawUDPPeer {
    let channel: any Channel
    let received: AsyncBoundedBuffer<ByteBuffer>

    static func bind() async throws -> RawUDPPeer {
        let received = AsyncBoundedBuffer<ByteBuffer>(capacity: 64)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return RawUDPPeer(channel: channel, received: received)
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
    }

    func close() async {
        received.finish()
        try? await channel.close()
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let received: AsyncBoundedBuffer<ByteBuffer>
        init(received: AsyncBoundedBuffer<ByteBuffer>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            _ = received.offer(unwrapInboundIn(data).data)
        }
    }
}

/// Long-header packets built by hand (RFC 9000 §17.2).
enum HandmadePacket {
    /// A long header Initial-typed packet of `version` with 8-byte connection IDs,
    /// padded with `filler` up to `size` bytes.
    static func longHeader(version: UInt32, size: Int, filler: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = [0xC3]
        bytes += withUnsafeBytes(of: version.bigEndian, Array.init)
        bytes += [8] + [UInt8](repeating: 0xD1, count: 8)  // destination connection ID
        bytes += [8] + [UInt8](repeating: 0x5C, count: 8)  // source connection ID
        bytes += [0]  // token length
        bytes += [0x44, 0x00]  // length, a 2-byte varint
        if bytes.count < size { bytes += [UInt8](repeating: filler, count: size - bytes.count) }
        return Array(bytes.prefix(size))
    }
}
