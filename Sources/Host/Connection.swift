import LibP2PCore
import LibP2PRegistry
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// An established connection: who the peer is, what was negotiated, where it
/// comes from, and its muxed session. The host drives the session (its `run()`,
/// the inbound streams, identify) for as long as the connection lives; callers
/// open streams on it.
public final class Connection: Sendable {
    public enum Direction: String, Sendable {
        case inbound
        case outbound
    }

    public let direction: Direction
    public let remotePeer: PeerID
    public let remotePublicKey: PublicKey
    /// The negotiated protocol IDs (`/noise`, `/yamux/1.0.0`); nil on a transport
    /// that secures and multiplexes itself (quic-v1).
    public let securityID: String?
    public let muxerID: String?
    public let localAddress: Multiaddr
    /// The peer's address as seen from here (what identify reports as observed).
    public let remoteAddress: Multiaddr

    let session: any MuxedConnection
    let identifyTimeout: Duration
    let logger: Logger
    private let identifyTrigger = AsyncLatch<Void>()
    private let identifyStarted = NIOLockedValueBox(false)
    private let identifyOutcome = AsyncLatch<IdentifyOutcome>()

    init(direction: Direction, _ capable: CapableConnection, identifyTimeout: Duration, logger: Logger) {
        self.direction = direction
        self.remotePeer = capable.upgraded.remotePeer
        self.remotePublicKey = capable.upgraded.remotePublicKey
        self.securityID = capable.upgraded.securityID
        self.muxerID = capable.upgraded.muxerID
        self.localAddress = capable.localAddress
        self.remoteAddress = capable.remoteAddress
        self.session = capable.upgraded.session
        self.identifyTimeout = identifyTimeout
        self.logger = logger
    }

    /// Opens a stream and negotiates `protocolID` on it. `pipelining` bytes (the
    /// protocol's first message) go out with the proposal, saving a round trip.
    public func newStream(_ protocolID: String, pipelining: ByteBuffer? = nil) async throws -> ProtocolStream {
        let muxed: any MuxedStream
        do {
            muxed = try await session.openStream()
        } catch {
            throw HostError.streamOpenFailed(underlying: error)
        }
        do {
            let (agreed, negotiated) = try await Multistream.selectOutbound(
                muxed, protocols: [protocolID], pipelining: pipelining)
            return ProtocolStream(protocolID: agreed, negotiated: negotiated, muxed: muxed)
        } catch {
            await muxed.reset()
            throw HostError.negotiationFailed(protocol: protocolID, underlying: error)
        }
    }

    /// Asks the peer for identify (`/ipfs/id/1.0.0`), bounded in size (4 KiB) and
    /// time, records the outcome and logs it; a peer that answers `na` is fine.
    /// Runs the exchange once: a second caller gets the first one's outcome.
    @discardableResult
    public func identify() async -> IdentifyOutcome {
        let first = identifyStarted.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return await identifyOutcome.wait() ?? .failed("cancelled") }
        let outcome = await exchangeIdentify()
        identifyOutcome.set(outcome)
        log(outcome)
        return outcome
    }

    /// What identify found, once it is done (`nil` if the waiting task is
    /// cancelled first).
    public func identified() async -> IdentifyOutcome? {
        await identifyOutcome.wait()
    }

    /// The identify outcome if it is already known.
    public var identifyResult: IdentifyOutcome? { identifyOutcome.current }

    /// Closes the muxed session (and the connection below it).
    public func close() async {
        await session.close()
    }

    /// Wakes `identified()` waiters when the connection ends without identify.
    func endIdentify() { identifyOutcome.set(.failed("the connection ended before identify")) }

    // The host's `.afterFirstStream` trigger.
    func triggerIdentify() { identifyTrigger.set(()) }
    func waitForIdentifyTrigger() async -> Bool { await identifyTrigger.wait() != nil }
}

/// The result of asking a peer for its identify record.
public enum IdentifyOutcome: Sendable {
    case identified(PeerIdentify)
    /// The peer answered `na` to `/ipfs/id/1.0.0`.
    case notSupported
    case failed(String)
}
