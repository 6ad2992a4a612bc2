import LibP2PCore
import LibP2PRegistry
import Logging
import Synchronization

/// A minimal libp2p host: one transport, one upgrader, and the protocols the
/// interop test needs (ping, identify). It dials, listens, and serves every
/// inbound stream of a connection; any other protocol is answered `na`.
public final class Host: Sendable {
    public let identity: PrivateKey
    public let transport: any Transport
    public let upgrader: Upgrader
    let logger: Logger
    private let listenAddresses = Mutex<[Multiaddr]>([])

    /// Protocols served on inbound streams, in the order identify reports them.
    public static let servedProtocols = [PingProtocol.id, IdentifyProtocol.id]
    /// Bound on one inbound stream's protocol negotiation, so a silent peer cannot
    /// hold a stream handler forever.
    static let negotiationTimeout = Duration.seconds(10)

    public init(identity: PrivateKey, transport: any Transport, upgrader: Upgrader, logger: Logger) {
        self.identity = identity
        self.transport = transport
        self.upgrader = upgrader
        self.logger = logger
    }

    public var peerID: PeerID { identity.peerID }

    func setListenAddresses(_ addresses: [Multiaddr]) {
        listenAddresses.withLock { $0 = addresses }
    }

    /// Dials and upgrades; the caller drives the connection with `serve(_:observed:while:)`.
    public func dial(_ address: Multiaddr) async throws -> (UpgradedConnection, any RawConnection) {
        let clock = ContinuousClock()
        let start = clock.now
        let raw: any RawConnection
        do {
            raw = try await transport.dial(address)
        } catch {
            throw InteropFailure(.dial, "cannot connect to \(address): \(error)")
        }
        let connected = clock.now
        do {
            let upgraded = try await upgrader.upgradeOutbound(raw, expecting: address.peerID)
            logger.debug(
                "upgraded",
                metadata: [
                    "connect": "\(InteropResult.format((connected - start).milliseconds)) ms",
                    "upgrade": "\(InteropResult.format((clock.now - connected).milliseconds)) ms",
                ])
            return (upgraded, raw)
        } catch let error as UpgradeError {
            throw InteropFailure(error.phase == .security ? .security : .muxer, "\(error.underlying)")
        }
    }

    /// Drives `connection` (its read loop and its inbound streams) while `body` runs,
    /// then closes it. Without a body, serves until the peer goes away.
    public func serve<T: Sendable>(
        _ connection: UpgradedConnection, observed: Multiaddr?,
        while body: (@Sendable (any MuxedConnection) async throws -> T)? = nil
    ) async throws -> T? {
        let muxed = connection.connection
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await muxed.run()
                return nil
            }
            group.addTask {
                await self.acceptStreams(on: muxed, observed: observed)
                return nil
            }
            guard let body else {
                defer { group.cancelAll() }
                for try await _ in group {}
                await muxed.close()
                return nil
            }
            do {
                let result = try await body(muxed)
                await muxed.close()
                group.cancelAll()
                return result
            } catch {
                await muxed.close()
                group.cancelAll()
                throw error
            }
        }
    }

    private func acceptStreams(on muxed: any MuxedConnection, observed: Multiaddr?) async {
        await withTaskGroup(of: Void.self) { group in
            while let stream = try? await muxed.acceptStream() {
                group.addTask { await self.handle(stream, observed: observed) }
            }
            group.cancelAll()
        }
    }

    private func handle(_ stream: any MuxedStream, observed: Multiaddr?) async {
        do {
            let (proto, negotiated) = try await withDeadline(Self.negotiationTimeout, "inbound protocol negotiation") {
                try await Multistream.selectInbound(stream, supported: Self.servedProtocols)
            }
            logger.debug("inbound stream", metadata: ["protocol": "\(proto)"])
            switch proto {
            case PingProtocol.id:
                try await PingProtocol.serve(negotiated)
            case IdentifyProtocol.id:
                let message = try IdentifyProtocol.message(
                    publicKey: identity.publicKey,
                    listenAddresses: listenAddresses.withLock { $0 },
                    protocols: Self.servedProtocols, observed: observed)
                try await IdentifyProtocol.respond(on: negotiated, message: message)
            default:
                break
            }
        } catch {
            logger.debug("inbound stream ended", metadata: ["error": "\(error)"])
            await stream.reset()
            return
        }
        await stream.close()
    }
}
