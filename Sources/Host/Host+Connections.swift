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
    func drive<T>(_ connection: Connection, _ body: (Connection) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.session.run() }
            group.addTask { await self.serveInboundStreams(of: connection) }
            group.addTask { await self.identify(connection) }
            do {
                let result = try await body(connection)
                await connection.close()
                group.cancelAll()
                return result
            } catch {
                await connection.close()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Drives an accepted connection until the peer goes away or the task is cancelled.
    func serveUntilClosed(_ connection: Connection) async {
        connection.startIdentify()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.serveInboundStreams(of: connection) }
            group.addTask { await self.identify(connection) }
            do {
                // Ends when the peer goes away, or on cancellation (the transport's
                // reads honour it).
                try await connection.session.run()
            } catch {
                logger.debug("connection ended", metadata: ["from": "\(connection.remoteAddress)", "error": "\(error)"])
            }
            await connection.close()
            group.cancelAll()
        }
    }

    private func serveInboundStreams(of connection: Connection) async {
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

    /// Asks the peer for identify once the connection says so, bounded in size and
    /// time; records the outcome on the connection and logs it. A peer that answers
    /// `na` is fine.
    private func identify(_ connection: Connection) async {
        guard await connection.waitForIdentifyRequest() else {
            connection.recordIdentify(.failed("the connection ended before identify"))
            return
        }
        let outcome: IdentifyOutcome
        do {
            let info = try await withDeadline(limits.identifyTimeout, "identify") {
                let stream = try await connection.newStream(IdentifyProtocol.id)
                do {
                    let info = try await IdentifyProtocol.read(from: stream)
                    await stream.close()
                    return info
                } catch {
                    await stream.reset()
                    throw error
                }
            }
            if let key = info.publicKey, key.peerID != connection.remotePeer {
                outcome = .failed("identify names key \(key.peerID), not the connected peer")
            } else {
                outcome = .identified(info)
            }
        } catch HostError.negotiationFailed(_, let underlying) where underlying is MultistreamError {
            outcome = .notSupported
        } catch {
            outcome = .failed("\(error)")
        }
        connection.recordIdentify(outcome)
        switch outcome {
        case .identified(let info):
            logger.info(
                "identified",
                metadata: [
                    "remote": "\(connection.remotePeer)", "agent": "\(info.agentVersion)",
                    "protocols": "\(info.protocols.joined(separator: ","))",
                    "observed": "\(info.observedAddress.map { "\($0)" } ?? "none")",
                ])
        case .notSupported:
            logger.info("the peer does not serve identify", metadata: ["remote": "\(connection.remotePeer)"])
        case .failed(let why):
            logger.info("identify failed", metadata: ["remote": "\(connection.remotePeer)", "error": "\(why)"])
        }
    }
}
