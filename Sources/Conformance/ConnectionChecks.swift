import LibP2PCore
import LibP2PRegistry
import NIOCore

/// A listener host with its upgrader, and the sessions a check made on it, all
/// closed when the check ends.
final class ListeningSide: Sendable {
    let upgrader: Upgrader
    let listener: any ConnectionListener
    private let sessions = SharedValue<[any MuxedConnection]>([])

    init(upgrader: Upgrader, listener: any ConnectionListener) {
        self.upgrader = upgrader
        self.listener = listener
    }

    /// The dialable address, with the listener's `/p2p/` ID.
    func address(_ context: CheckContext) throws -> Multiaddr {
        guard let bound = listener.localAddresses.first else { throw context.failure("the listener reports no address") }
        return bound.appending(.p2p(upgrader.localPeer))
    }

    func keep(_ connection: CapableConnection) { sessions.update { $0.append(connection.session) } }

    func closeAll() async {
        for session in sessions.update({ list in defer { list.removeAll() }; return list }) { await session.close() }
        await listener.close()
    }
}

extension ConnectionConformance {
    /// Listens with a fresh identity, runs `body` bounded by `limits.timeout`, and
    /// closes every session the check kept and the listener afterwards.
    func withListeningSide(_ context: CheckContext, _ body: @escaping @Sendable (ListeningSide) async throws -> Void) async throws {
        let upgrader = try makeUpgrader()
        let transport = self.transport
        let address = listenAddress
        let listener = try await context.step("listen(on: \(address))") { try await transport.listen(on: address, upgrader: upgrader) }
        let side = ListeningSide(upgrader: upgrader, listener: listener)
        let result = await outcome {
            try await withDeadline(limits.timeout, context, onTimeout: { await side.closeAll() }) { try await body(side) }
        }
        await side.closeAll()
        try result.get()
    }

    /// A connection from a fresh dialer to `side`, and the one the listener
    /// accepted and upgraded for it; both kept for closing.
    func connect(
        to side: ListeningSide, _ context: CheckContext
    ) async throws -> (dialer: CapableConnection, acceptor: CapableConnection, dialerPeer: PeerID) {
        let dialer = try makeUpgrader()
        let address = try side.address(context)
        let transport = self.transport
        async let inbound = context.step("accept() and upgrade()") { () async throws -> CapableConnection in
            guard let accepted = try await side.listener.accept() else {
                throw context.failure("accept() returned nil while the listener was open")
            }
            return try await accepted.upgrade()
        }
        let outbound = try await context.step("connect(to: \(address))") { try await transport.connect(to: address, upgrader: dialer) }
        side.keep(outbound)
        let accepted = try await inbound
        side.keep(accepted)
        return (outbound, accepted, dialer.localPeer)
    }

    func checkListenAddresses(_ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let addresses = side.listener.localAddresses
            try context.require(!addresses.isEmpty, "listening on \(listenAddress) reports no local addresses")
            for address in addresses {
                let hasZeroPort = address.components.contains { $0 == .tcp(0) || $0 == .udp(0) }
                try context.require(!hasZeroPort, "local address \(address) still has port 0; it must report the port bound")
                try context.require(transport.canDial(address), "canDial(\(address)) is false for the listener's own address")
            }
            let upgrader = try makeUpgrader()
            let second = try await context.step("a second listener") { try await transport.listen(on: listenAddress, upgrader: upgrader) }
            let overlap = Set(second.localAddresses).intersection(addresses)
            await second.close()
            try context.require(overlap.isEmpty, "two listeners on port 0 report the same address \(overlap)")
        }
    }

    func checkConnectAndAccept(_ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let (dialer, acceptor, dialerPeer) = try await connect(to: side, context)
            try context.require(
                dialer.remotePeer == side.upgrader.localPeer,
                "the dialer sees peer \(dialer.remotePeer), the listener is \(side.upgrader.localPeer)")
            try context.require(
                dialer.upgraded.remotePublicKey == side.upgrader.identity.publicKey, "the dialer sees another key than the listener's")
            try context.require(dialer.upgraded.localPeer == dialerPeer, "the dialer's localPeer is \(dialer.upgraded.localPeer)")
            try context.require(acceptor.remotePeer == dialerPeer, "the listener sees peer \(acceptor.remotePeer), the dialer is \(dialerPeer)")
            try context.require(
                acceptor.remoteAddress == dialer.localAddress,
                "the accepted connection's remoteAddress is \(acceptor.remoteAddress), the dialer's localAddress \(dialer.localAddress)")
            try context.require(
                acceptor.localAddress == dialer.remoteAddress,
                "the accepted connection's localAddress is \(acceptor.localAddress), the dialer's remoteAddress \(dialer.remoteAddress)")
            try await exchange(over: dialer, and: acceptor, bytes: 256 << 10, context)
        }
    }

    func checkWrongPeerRefused(_ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let other = PrivateKey.generateEd25519().peerID
            let bound = try side.address(context).removingPeerID()
            let wrong = bound.appending(.p2p(other))
            let dialer = try makeUpgrader()
            let transport = self.transport
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The listener's side runs its handshake as a host's would, and fails.
                group.addTask {
                    guard let accepted = try await side.listener.accept() else { return }
                    if let connection = try? await accepted.upgrade() { await connection.session.close() }
                }
                let error = try await context.promptly("connect(to: \(wrong)) failing") {
                    await caughtError { let c = try await transport.connect(to: wrong, upgrader: dialer); await c.session.close() }
                }
                guard let upgradeError = error as? UpgradeError else {
                    throw context.failure("connecting to another peer's ID \(error.map { "threw \(describe($0))" } ?? "succeeded"); it must throw an UpgradeError")
                }
                try context.require(upgradeError.phase == .security, "the refusal names the \(upgradeError.phase) phase, not security")
                context.note("the listener's side of the refused connection ending")
                try await group.waitForAll()
            }
            // An honest dial still gets through.
            let (dialer2, acceptor2, _) = try await connect(to: side, context)
            try await exchange(over: dialer2, and: acceptor2, bytes: 1 << 10, context)
        }
    }

    func checkListenerCloseWakesAccept(_ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let pending = AsyncLatch<Result<(any AcceptedConnection)?, any Error>>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { pending.set(await outcome { try await side.listener.accept() }) }
                try await Task.sleep(for: .milliseconds(50))
                await side.listener.close()
                let woke = try await context.promptly("the pending accept() returning after close()") { await pending.wait() }
                if case .success(_?)? = woke { throw context.failure("a pending accept() returned a connection after close()") }
                try await group.waitForAll()
            }
            let later = try await context.promptly("accept() after close()") { try await side.listener.accept() }
            try context.require(later == nil, "accept() after close() returned a connection")
        }
    }

    func checkDialRefused(_ context: CheckContext) async throws {
        let upgrader = try makeUpgrader()
        let transport = self.transport
        let listener = try await context.step("listen, to learn a free port") { try await transport.listen(on: listenAddress, upgrader: upgrader) }
        guard let bound = listener.localAddresses.first else { throw context.failure("the listener reports no address") }
        await listener.close()
        let target = bound.appending(.p2p(upgrader.localPeer))
        let dialer = try makeUpgrader()
        let error = try await context.promptly("connect(to: \(target)) with nobody listening") {
            await caughtError { let c = try await transport.connect(to: target, upgrader: dialer); await c.session.close() }
        }
        try context.require(error != nil, "connecting to \(target), where nobody listens, succeeded")
    }

    func checkCloseEndsThePeersSession(closer: MuxerRole, _ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let (dialer, acceptor, _) = try await connect(to: side, context)
            let (closing, peer) = closer == .initiator ? (dialer, acceptor) : (acceptor, dialer)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let peerRun = AsyncLatch<Void>()
                group.addTask { try? await peer.session.run(); peerRun.set(()) }
                group.addTask { try? await closing.session.run() }
                let (opened, accepted) = try await openAndAccept(closing.session, peer.session, context)
                let pendingAccept = AsyncLatch<Result<(any MuxedStream)?, any Error>>()
                let pendingRead = AsyncLatch<Result<ByteBuffer?, any Error>>()
                group.addTask { pendingAccept.set(await outcome { try await peer.session.acceptStream() }) }
                group.addTask { pendingRead.set(await outcome { try await accepted.read() }) }
                try await Task.sleep(for: .milliseconds(50))
                context.note("closing the session")
                await closing.session.close()
                _ = try await context.promptly("the peer's run() returning") { await peerRun.wait() }
                let acceptResult = try await context.promptly("the peer's pending acceptStream() ending") { await pendingAccept.wait() }
                if case .success(let stream?)? = acceptResult {
                    throw context.failure("the peer's pending acceptStream() returned a stream \(stream) after the close")
                }
                let readResult = try await context.promptly("the peer's pending read ending") { await pendingRead.wait() }
                if case .success(let chunk?)? = readResult {
                    throw context.failure("the peer's pending read returned \(chunk.readableBytes) bytes nobody sent")
                }
                await opened.close()
                group.cancelAll()
            }
        }
    }

    func checkConcurrentConnections(_ context: CheckContext) async throws {
        try await withListeningSide(context) { side in
            let count = limits.concurrentConnections
            let transport = self.transport
            try await withThrowingTaskGroup(of: Void.self) { group in
                // One task accepts and serves an echo on every connection.
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { served in
                        for _ in 0..<count {
                            guard let accepted = try await side.listener.accept() else {
                                throw context.failure("accept() returned nil before \(count) connections")
                            }
                            served.addTask {
                                let connection = try await accepted.upgrade()
                                side.keep(connection)
                                try await withThrowingTaskGroup(of: Void.self) { inner in
                                    inner.addTask { try? await connection.session.run() }
                                    if let stream = try await connection.session.acceptStream() {
                                        while let chunk = try await stream.read() { try await stream.write(chunk) }
                                        try await stream.closeWrite()
                                    }
                                    inner.cancelAll()
                                }
                            }
                        }
                        try await served.waitForAll()
                    }
                }
                let address = try side.address(context)
                for index in 0..<count {
                    group.addTask {
                        let dialer = try makeUpgrader()
                        let connection = try await context.step("connection \(index): connect") {
                            try await transport.connect(to: address, upgrader: dialer)
                        }
                        side.keep(connection)
                        try await withThrowingTaskGroup(of: Void.self) { inner in
                            inner.addTask { try? await connection.session.run() }
                            let stream = try await context.step("connection \(index): openStream()") { try await connection.session.openStream() }
                            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 4096)
                            try await stream.write(ByteBuffer(bytes: payload))
                            try await stream.closeWrite()
                            var echoed: [UInt8] = []
                            while let chunk = try await stream.read() { echoed += Array(chunk.readableBytesView) }
                            try context.require(echoed == payload, "connection \(index) echoed \(echoed.count) bytes, not its 4096")
                            await stream.close()
                            await connection.session.close()
                            inner.cancelAll()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Runs both sessions, opens a stream from the dialer and sends `bytes` each way.
    private func exchange(over dialer: CapableConnection, and acceptor: CapableConnection, bytes: Int, _ context: CheckContext) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await dialer.session.run() }
            group.addTask { try? await acceptor.session.run() }
            let (opened, accepted) = try await openAndAccept(dialer.session, acceptor.session, context)
            try await transfer(bytes, start: 7, from: opened, to: accepted, closing: true, context, "dialer to listener")
            try await transfer(bytes, start: 11, from: accepted, to: opened, closing: true, context, "listener to dialer")
            await opened.close()
            await accepted.close()
            await dialer.session.close()
            await acceptor.session.close()
            group.cancelAll()
        }
    }
}
