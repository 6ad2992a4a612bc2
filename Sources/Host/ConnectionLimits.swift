/// How many connections and streams a host holds, and how long a peer may take.
///
/// Unauthenticated connections (still in their security or muxer handshake) are
/// budgeted apart from established ones, so that idle or half-handshaken sockets
/// cannot lock an honest peer out: when the upgrading budget is full, the oldest
/// upgrading connection is closed to make room, and accepting never stops.
public struct ConnectionLimits: Sendable {
    /// Inbound connections in their upgrade at once; past it the oldest is shed.
    public var maxUpgrading: Int
    /// The whole inbound upgrade (security + muxer) must finish within this
    /// (go-libp2p allows 15 s; a silent peer is dropped sooner).
    public var upgradeTimeout: Duration
    /// Established inbound connections served at once; a new one past it is closed.
    public var maxEstablished: Int
    /// Inbound streams one connection may have in their handlers at once; more are reset.
    public var maxInboundStreamsPerConnection: Int
    /// Bound on one inbound stream's protocol negotiation.
    public var negotiationTimeout: Duration
    /// Bound on asking a peer for its identify record.
    public var identifyTimeout: Duration

    public init(
        maxUpgrading: Int = 256, upgradeTimeout: Duration = .seconds(10), maxEstablished: Int = 1024,
        maxInboundStreamsPerConnection: Int = 64, negotiationTimeout: Duration = .seconds(10),
        identifyTimeout: Duration = .seconds(5)
    ) {
        self.maxUpgrading = max(1, maxUpgrading)
        self.upgradeTimeout = upgradeTimeout
        self.maxEstablished = max(1, maxEstablished)
        self.maxInboundStreamsPerConnection = max(1, maxInboundStreamsPerConnection)
        self.negotiationTimeout = negotiationTimeout
        self.identifyTimeout = identifyTimeout
    }
}
