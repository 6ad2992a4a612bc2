import LibP2PCore
import LibP2PRegistry
import NIOCore
import NIOPosix

/// One quic-v1 connection: authenticated by its TLS 1.3 handshake and multiplexed by
/// QUIC's own streams, so it is directly a `MuxedConnection`.
///
/// Everything is driven from the UDP socket's event loop and from the tasks using the
/// streams: a datagram in (`receive`), a timer firing, a stream read or write each
/// take the lock, call the engine, collect the datagrams it wants sent, re-arm the one
/// timer at the engine's next expiry, and wake whoever the engine's events concern.
/// `run()` only waits for the end, so nothing outlives its owner.
public final class QUICConnection: MuxedConnection, Sendable {
    let state: LockedState<QUICConnectionState>
    let channel: any Channel
    let localAddress: SocketAddress
    let remoteAddress: SocketAddress
    /// Runs once when the connection ends (the dialer closes its socket, the listener
    /// forgets the connection IDs).
    private let onEnd: @Sendable () -> Void
    /// Server side: runs once when the handshake completes (hand it to `accept()`).
    private let onEstablished: (@Sendable (QUICConnection) -> Void)?

    init(
        engine: QUICEngine, channel: any Channel, localAddress: SocketAddress, remoteAddress: SocketAddress,
        onEstablished: (@Sendable (QUICConnection) -> Void)? = nil, onEnd: @escaping @Sendable () -> Void
    ) {
        state = LockedState(QUICConnectionState(engine: engine))
        self.channel = channel
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.onEstablished = onEstablished
        self.onEnd = onEnd
    }

    /// The peer's host key; nil until the handshake is done.
    public var remotePublicKey: PublicKey? {
        state.withLock { $0.engine.handshakeComplete ? $0.engine.remoteKey : nil }
    }

    // MARK: Driving the engine

    /// Calls the engine under the lock, then does what it asked for: send datagrams,
    /// re-arm the timer, wake waiters, and act on the end of the connection.
    @discardableResult
    func perform<T>(_ body: (inout QUICConnectionState) throws -> T) rethrows -> T {
        var packets: [QUICDatagram] = []
        var more = false
        var endNow = false
        var established = false
        var wakes = Resumptions()
        let result: T
        do {
            (result, wakes) = try state.withLock { s -> (T, Resumptions) in
                let result = try body(&s)
                more = s.engine.writePackets(now: QUICClock.now, offload: Self.offload, into: &packets)
                if let close = s.engine.pendingClose {
                    packets.append(QUICDatagram(bytes: close, segmentSize: nil))
                    s.engine.pendingClose = nil
                }
                if s.engine.handshakeComplete, !s.establishedReported {
                    QUICDebug.log("\(s.engine.role) connection \(localAddress) ⇄ \(remoteAddress) established")
                    s.establishedReported = true
                    established = true
                }
                if let terminated = s.engine.terminated, !s.finished {
                    QUICDebug.log(
                        "\(s.engine.role) connection \(localAddress) ⇄ \(remoteAddress) ended "
                            + "(\(s.engine.handshakeComplete ? "established" : "in its handshake")): \(terminated.map { "\($0)" } ?? "closed")")
                    s.finished = true
                    endNow = true
                    s.timer?.cancel()
                    s.timer = nil
                } else if !s.finished {
                    rearmTimer(&s)
                }
                return (result, s.wakes())
            }
        }
        send(packets)
        wakes.resume()
        if established { onEstablished?(self) }
        if endNow { onEnd() }
        if more { channel.eventLoop.execute { self.perform { _ in } } }
        return result
    }

    /// One timer per connection, at ngtcp2's next expiry.
    private func rearmTimer(_ s: inout QUICConnectionState) {
        let expiry = s.engine.expiry
        guard expiry != s.timerDeadline else { return }
        s.timer?.cancel()
        s.timerDeadline = expiry
        guard expiry != .max else {
            s.timer = nil
            return
        }
        // Weak: the timer lives in the state this connection owns.
        s.timer = channel.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(expiry)) { [weak self] in
            self?.perform { s in
                s.timerDeadline = .max  // fired: the next perform sets the next one
                s.engine.handleExpiry(now: QUICClock.now)
            }
        }
    }

    /// Datagrams from the peer (on the event loop), answered together.
    func receive(_ datagrams: [ByteBuffer]) {
        QUICDebug.log("\(localAddress) ⇄ \(remoteAddress): \(datagrams.count) datagrams in (\(datagrams.map(\.readableBytes)))")
        perform { s in
            let now = QUICClock.now
            for datagram in datagrams { s.engine.receive(datagram, now: now) }
        }
    }

    /// Whether the kernel takes several packets per write (UDP GSO, Linux 4.18+).
    static let offload = System.supportsUDPSegmentationOffload

    private func send(_ packets: [QUICDatagram]) {
        guard !packets.isEmpty else { return }
        QUICDebug.log("\(localAddress) ⇄ \(remoteAddress): \(packets.count) datagrams out (\(packets.map(\.bytes.readableBytes)))")
        let channel = self.channel
        let remote = remoteAddress
        @Sendable func write() {
            for packet in packets {
                let metadata = packet.segmentSize.map {
                    AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: $0)
                }
                channel.write(AddressedEnvelope(remoteAddress: remote, data: packet.bytes, metadata: metadata), promise: nil)
            }
            channel.flush()
        }
        if channel.eventLoop.inEventLoop {
            write()
        } else {
            channel.eventLoop.execute { write() }
        }
    }

    /// True once the connection is over.
    var hasEnded: Bool { state.withLock { $0.engine.terminated != nil } }

    /// How many more streams the peer lets us open now.
    var openableStreams: UInt64 { state.withLock { $0.engine.openableStreams } }

    /// Waits until the handshake has completed and the peer is authenticated.
    func waitForHandshake() async throws {
        while true {
            let done: Bool? = try await state.wait(in: { s, use in use(&s.handshake) }) { s, _ in
                if s.engine.handshakeComplete { return .ready(true) }
                if let terminated = s.engine.terminated { throw terminated ?? QUICError.connectionClosed }
                return .park
            }
            if done != nil { return }
        }
    }

    // MARK: MuxedConnection

    public func run() async throws {
        while true {
            let ended: Bool? = try await state.wait(in: { s, use in use(&s.ended) }) { s, _ in
                if let terminated = s.engine.terminated {
                    if let terminated { throw terminated }
                    return .ready(true)
                }
                return .park
            }
            if ended != nil { return }
        }
    }

    public func openStream() async throws -> any MuxedStream {
        while true {
            let opened: Int64? = try await state.wait(in: { s, use in use(&s.openers) }) { s, _ in
                if let id = try s.engine.openStream() { return .ready(id) }
                return .park
            }
            if let opened { return QUICStream(id: opened, connection: self) }
        }
    }

    public func acceptStream() async throws -> (any MuxedStream)? {
        while true {
            let accepted: Int64?? = try await state.wait(in: { s, use in use(&s.acceptors) }) { s, _ in
                if let id = s.engine.incoming.popFirst() { return .ready(.some(id)) }
                if s.engine.terminated != nil { return .ready(.some(nil)) }
                return .park
            }
            switch accepted {
            case .some(.some(let id)): return QUICStream(id: id, connection: self)
            case .some(.none): return nil
            case .none: continue
            }
        }
    }

    public func close() async {
        closeNow()
    }

    /// Closes without waiting: CONNECTION_CLOSE goes out, every waiter fails.
    func closeNow() {
        perform { s in
            if let packet = s.engine.close(now: QUICClock.now) { s.engine.pendingClose = packet }
        }
    }

    /// Ends the connection on a socket error (the peer's port is closed).
    func abort(_ error: any Error) {
        perform { $0.engine.abort(error) }
    }
}
