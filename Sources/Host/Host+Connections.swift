import LibP2PCore
import LibP2PRegistry
import Logging
import NIOConcurrencyHelpers

/// How the host drives a connection: the muxed session's `run()`, a handler per
/// inbound stream (at most `limits.maxInboundStreamsPerConnection` at once), and
/// identify towards the peer, all children of one task group that ends with the
/// connection.
extension Host {
    /// Drives `connection` while `body` runs on it, then closes it.
    func drive<T>(
        _ connection: Connection, identify: IdentifyStart, _ body: (Connection) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.session.run() }
            group.addTask { await self.serveInboundStreams(of: connection, identifyAfterFirst: identify.afterFirstStream) }
            if identify != .manual { group.addTask { await self.identify(connection, when: identify) } }
            do {
                let result = try await body(connection)
                await connection.close()
                connection.endIdentify()
                group.cancelAll()
                return result
            } catch {
                await connection.close()
                connection.endIdentify()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Drives an accepted connection until the peer goes away or the task is cancelled.
    func serveUntilClosed(_ connection: Connection) async {
        let identify = inboundIdentify
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.serveInboundStreams(of: connection, identifyAfterFirst: identify.afterFirstStream) }
            group.addTask { await self.identify(connection, when: identify) }
            do {
                // Ends when the peer goes away, or on cancellation (the transport's
                // reads honour it).
                try await connection.session.run()
            } catch {
                logger.debug("connection ended", metadata: ["from": "\(connection.remoteAddress)", "error": "\(error)"])
            }
            await connection.close()
            connection.endIdentify()
            group.cancelAll()
        }
    }

    /// Serves inbound streams; with `identifyAfterFirst`, identify starts once the
    /// first of them has been served.
    private func serveInboundStreams(of connection: Connection, identifyAfterFirst: Bool) async {
        let active = NIOLockedValueBox(0)
        let cap = limits.maxInboundStreamsPerConnection
        await withDiscardingTaskGroup { group in
            while let stream = try? await connection.session.acceptStream() {
                let admitted = active.withLockedValue { count in
                    guard count < cap else { return false }
                    count += 1
                    return true
                }
                guard admitted else {
                    logger.debug("too many inbound streams; resetting one", metadata: ["from": "\(connection.remoteAddress)"])
                    await stream.reset()
                    continue
                }
                group.addTask {
                    await self.handleInbound(stream, on: connection)
                    active.withLockedValue { $0 -= 1 }
                    if identifyAfterFirst { connection.triggerIdentify() }
                }
            }
            group.cancelAll()
        }
    }

    private func handleInbound(_ stream: any MuxedStream, on connection: Connection) async {
        do {
            let supported = protocols
            let (proto, negotiated) = try await withDeadline(limits.negotiationTimeout, "inbound protocol negotiation") {
                try await Multistream.selectInbound(stream, supported: supported)
            }
            logger.debug("inbound stream", metadata: ["protocol": "\(proto)"])
            guard let handler = handler(for: proto) else {
                await stream.reset()
                return
            }
            try await handler(ProtocolStream(protocolID: proto, negotiated: negotiated, muxed: stream), connection)
        } catch {
            logger.debug("inbound stream ended", metadata: ["error": "\(error)"])
            await stream.reset()
            return
        }
        await stream.close()
    }

    /// Runs identify on the connection when `start` says: at once, or once the
    /// peer's first stream is served (or the delay passes). `.manual` adds no task.
    private func identify(_ connection: Connection, when start: IdentifyStart) async {
        switch start {
        case .manual:
            return
        case .onConnect:
            break
        case .afterFirstStream(let delay):
            let triggered = await withTaskGroup(of: Void.self) { timer in
                timer.addTask {
                    try? await cancellableSleep(for: delay)
                    if !Task.isCancelled { connection.triggerIdentify() }
                }
                let triggered = await connection.waitForIdentifyTrigger()
                timer.cancelAll()
                return triggered
            }
            guard triggered else { return }
        }
        _ = await connection.identify()
    }
}
