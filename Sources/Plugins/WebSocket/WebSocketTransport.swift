import LibP2PCore
import LibP2PRegistry
import LibP2PSockets
import NIOCore
import NIOPosix

/// The WebSocket transports: `transport=ws` (`WebSocketTransport()`) and
/// `transport=wss` (`WebSocketTransport(secure: true)`). Dials and listens on
/// `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/ws`, and for wss `…/tls/ws`,
/// `…/tls/sni/<name>/ws` or the older `…/wss`; the connections it hands out are
/// byte streams like TCP's, on the same socket machinery (`LibP2PSockets`), so the
/// upgrader runs multistream, security and muxer over them unchanged.
public struct WebSocketTransport: ByteStreamTransport {
    public let secure: Bool
    public var name: String { secure ? "wss" : "ws" }

    /// How long `dial` waits for the socket, TLS and the upgrade together.
    public let connectTimeout: Duration
    /// How long a listener waits for a connection's complete upgrade request.
    public let headerTimeout: Duration
    /// The largest request head a listener reads (bytes).
    public let maxHeaderBytes: Int
    /// The largest frame either side accepts (bytes); a bigger one is refused
    /// with close 1009 on its header. Payloads are streamed, never held whole.
    public let maxFrameSize: Int

    private let executor: EventLoopTaskExecutor

    public init(
        secure: Bool = false, connectTimeout: Duration = .seconds(10), headerTimeout: Duration = .seconds(10),
        maxHeaderBytes: Int = 16 * 1024, maxFrameSize: Int = 4 << 20
    ) {
        self.secure = secure
        self.connectTimeout = connectTimeout
        self.headerTimeout = headerTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxFrameSize = maxFrameSize
        // As TCP: take the loop now, so that starting threads is not in a handshake.
        self.executor = EventLoopTaskExecutor.next()
    }

    /// wss: makes the dialer's TLS context now, when the host is built (as go makes
    /// its `tls.Config`): a fresh process's first OpenSSL context costs about 1.5 ms
    /// (library and provider set-up) that does not belong in a dial, nor in the
    /// start-up of a process that never uses wss.
    public func prepare(identity: PrivateKey) throws {
        if secure { _ = try TLSContext.client.get() }
    }

    public func listenAddress(ip: String) throws -> Multiaddr {
        Multiaddr(components: [try .ip(ip), .tcp(0)] + WebSocketAddress.suffix(secure: secure))
    }

    public var preferredTaskExecutor: (any TaskExecutor)? { executor }

    public func canDial(_ address: Multiaddr) -> Bool {
        WebSocketAddress(address, allowPeerID: true)?.secure == secure
    }

    public func dial(_ address: Multiaddr) async throws -> any RawConnection {
        guard let target = WebSocketAddress(address, allowPeerID: true), target.secure == secure,
            let endpoint = TCPEndpoint(target.tcp, allowPeerID: false)
        else { throw WebSocketError.unsupportedAddress(address.description, transport: name) }
        let tls = secure ? try TLSContext.client.get() : nil
        let start = ContinuousClock.now
        let (channel, pending) = try await SocketBootstrap.connect(
            address, endpoint: endpoint, on: executor.eventLoop, timeout: connectTimeout
        ) { [maxFrameSize] channel in
            try ClientUpgrade.configure(
                channel, address: target, tls: tls, maxFrameSize: maxFrameSize, dialing: address.description)
        }
        // The rest of the connect timeout bounds TLS and the upgrade.
        let remaining = max(.milliseconds(1), connectTimeout - (ContinuousClock.now - start))
        let timeout = channel.eventLoop.scheduleTask(in: .nanoseconds(remaining.nanoseconds)) {
            channel.close(promise: nil)
        }
        do {
            try await pending.upgraded.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            if ContinuousClock.now - start >= connectTimeout {
                throw WebSocketError.upgradeTimeout(address.description, seconds: connectTimeout.seconds)
            }
            throw error
        }
        return try SocketConnection(channel: channel, buffers: pending.buffers, suffix: WebSocketAddress.suffix(secure: secure))
    }

    /// Listens on `…/tcp/<port>/ws` (wss: `…/tls/ws` or `…/wss`); port 0 picks a
    /// free port. `localAddresses` reports `/ip4/<ip>/tcp/<port>/ws` or `…/tls/ws`.
    public func listen(_ address: Multiaddr) async throws -> any Listener {
        let tcp: Multiaddr
        if let parsed = WebSocketAddress(address, allowPeerID: false), parsed.secure == secure {
            tcp = parsed.tcp
        } else {
            throw WebSocketError.unsupportedAddress(address.description, transport: name)
        }
        guard let endpoint = TCPEndpoint(tcp, allowPeerID: false) else {
            throw WebSocketError.unsupportedAddress(address.description, transport: name)
        }
        let tls = secure ? try TLSContext.server() : nil
        let limits = ServerUpgrade.Limits(headerTimeout: headerTimeout, maxHeaderBytes: maxHeaderBytes, maxFrameSize: maxFrameSize)
        let suffix = WebSocketAddress.suffix(secure: secure)
        let queue = AcceptQueue(limit: SocketBootstrap.acceptQueueLimit)
        let (serverChannel, local) = try await SocketBootstrap.listen(
            tcp, endpoint: endpoint, on: executor.eventLoop, queue: queue
        ) { child in
            try ServerUpgrade.configure(child, secure: tls, limits: limits) { channel, buffers in
                // Upgraded: hand it to accept(), or drop it if the listener closed.
                guard let connection = try? SocketConnection(channel: channel, buffers: buffers, suffix: suffix) else { return }
                if !queue.push(connection) { connection.closeNow() }
            }
        }
        return SocketListener(serverChannel: serverChannel, queue: queue, localAddress: local.appending(suffix))
    }
}
