#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization

/// One socket connection as a `RawConnection` (TCP's, and WebSocket's over TCP). Reads come from a bounded inbound
/// buffer that the event loop fills (backpressure: the socket is not read while it
/// is full); writes go straight to the channel and wait only while too many bytes
/// are pending. Every piece of shared state is behind a lock, so the class is
/// plainly `Sendable`.
package final class SocketConnection: RawConnection {
    /// Per direction: the socket is not read past `inboundHighWatermark` unread
    /// bytes; a writer waits past `outboundHighWatermark` unsent bytes.
    package static let inboundHighWatermark = 512 * 1024
    package static let inboundLowWatermark = 128 * 1024
    package static let outboundHighWatermark = 512 * 1024
    package static let outboundLowWatermark = 128 * 1024

    package let localAddress: Multiaddr
    package let remoteAddress: Multiaddr
    private let channel: any Channel
    private let inbound: InboundBuffer
    private let outbound: OutboundWindow
    private let closed = Atomic<Bool>(false)

    /// Wraps a connected `channel` whose pipeline holds a `ConnectionHandler` on
    /// `buffers`. Both addresses are the socket's `/ip4|ip6/…/tcp/…` followed by
    /// `suffix` (WebSocket: `/ws` or `/tls/ws`).
    package init(channel: any Channel, buffers: ConnectionBuffers, suffix: [Multiaddr.Component] = []) throws {
        guard let local = channel.localAddress.flatMap(Multiaddr.init(tcpSocketAddress:))?.appending(suffix),
            let remote = channel.remoteAddress.flatMap(Multiaddr.init(tcpSocketAddress:))?.appending(suffix)
        else {
            channel.close(promise: nil)
            throw TCPError.connectionFailed(
                channel.remoteAddress.map { "\($0)" } ?? "unknown peer", reason: "not a connected IP socket")
        }
        self.channel = channel
        self.inbound = buffers.inbound
        self.outbound = buffers.outbound
        self.localAddress = local
        self.remoteAddress = remote
    }

    /// A connection dropped without `close()` still releases its socket.
    deinit {
        if !closed.load(ordering: .relaxed) {
            channel.close(promise: nil)
        }
    }

    package func read() async throws -> ByteBuffer? {
        try await inbound.read(resumeReading: { [channel] in channel.read() })
    }

    package func write(_ buffer: ByteBuffer) async throws {
        let count = buffer.readableBytes
        guard count > 0 else { return }
        try await outbound.write(count) {
            // Flushed at once: deferring the flush to the end of the event loop's turn
            // (to send a turn's writes in one writev) measured 0.5 ms slower per
            // fresh handshake, the deferred flush waiting on the loop's next wake-up.
            channel.writeAndFlush(buffer).whenComplete { [outbound, remote = remoteAddress] result in
                switch result {
                case .success: outbound.completed(count, error: nil)
                case .failure(let error): outbound.completed(count, error: Self.streamError(error, remote: remote))
                }
            }
        }
        // A writer that never has to wait would keep its loop from the other
        // connections' sockets for as long as it writes (see `LoopTurn`).
        await LoopTurn.stepAsideIfOverdue()
    }

    package func closeWrite() async throws {
        if let failure = outbound.failure {
            // Already half-closed, closed, or broken: half-closing again is a no-op,
            // but a broken connection says so.
            if failure is TCPError { throw failure }
            return
        }
        outbound.end(StreamError.closed)
        do {
            // NIO sends what is pending first, then shuts the socket's output down;
            // if the peer had already half-closed, the whole connection closes.
            try await channel.close(mode: .output).get()
        } catch let error as ChannelError where Self.isAlreadyClosed(error) {
            return
        } catch {
            throw Self.streamError(error, remote: remoteAddress)
        }
    }

    package func close() async {
        closeNow()
        // The close future never fails; it completes once the socket is released.
        try? await channel.closeFuture.get()
    }

    /// Starts closing without waiting: pending reads end, pending writes fail.
    package func closeNow() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        inbound.finish(.closedLocally)
        outbound.end(StreamError.closed)
        channel.close(promise: nil)
    }

    private static func isAlreadyClosed(_ error: ChannelError) -> Bool {
        switch error {
        case .alreadyClosed, .ioOnClosedChannel, .outputClosed: return true
        default: return false
        }
    }

    /// Channel errors as stream errors: writes on a closed channel are
    /// `StreamError.closed`, socket errors name the peer.
    package static func streamError(_ error: any Error, remote: Multiaddr) -> any Error {
        if let channelError = error as? ChannelError, isAlreadyClosed(channelError) {
            return StreamError.closed
        }
        return TCPError.connectionFailed(remote.description, reason: describe(error))
    }

    /// A readable reason: `connection reset by peer` rather than an errno dump.
    package static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        return "\(error)"
    }
}
