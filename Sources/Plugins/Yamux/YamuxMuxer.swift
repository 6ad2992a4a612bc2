import LibP2PCore
import LibP2PRegistry

/// The yamux stream multiplexer (`/yamux/1.0.0`) as a registry plugin.
///
/// ```swift
/// registry.register(YamuxMuxer())
/// let session = YamuxMuxer().makeSession(over: secureChannel, role: .initiator)
/// // run `session.run()` in a task group, then open and accept streams.
/// ```
public struct YamuxMuxer: MuxerProtocol {
    public let name = "yamux"
    public let protocolID = "/yamux/1.0.0"
    public let configuration: YamuxConfiguration

    public init(configuration: YamuxConfiguration = YamuxConfiguration()) {
        self.configuration = configuration
    }

    public func makeSession(over stream: any ByteStream, role: MuxerRole) -> any MuxedConnection {
        makeYamuxSession(over: stream, role: role)
    }

    /// The same session with its concrete type, for callers that want `ping()` or `goAway()`.
    public func makeYamuxSession(over stream: any ByteStream, role: MuxerRole) -> YamuxSession {
        YamuxSession(over: stream, role: role, configuration: configuration)
    }
}

/// Limits and sizes of a yamux session. The defaults follow the spec and its
/// implementation notes.
public struct YamuxConfiguration: Sendable, Equatable {
    /// The receive window we grant each stream. The spec's initial window is 256 KiB;
    /// a larger value is announced with the SYN or ACK. Also bounds what one stream
    /// buffers and the largest data frame we accept.
    public var receiveWindow: Int
    /// Inbound streams not yet taken by `acceptStream()`; a SYN beyond it is reset.
    public var acceptBacklog: Int
    /// Outbound streams the peer has not acknowledged yet; `openStream()` waits
    /// beyond it (the spec's ACK backlog of 256).
    public var ackBacklog: Int
    /// Open streams per session, both directions together.
    public var maxStreams: Int
    /// The largest payload of one data frame we send. The default lets header and
    /// payload fill exactly one Noise transport message (65,519 plaintext bytes).
    public var maxFramePayload: Int
    /// Ping answers and resets queued for the peer that it has not let us write yet;
    /// beyond it the peer is treated as broken.
    public var maxPendingControlFrames: Int
    /// How long `close()` tries to get its go away out before closing anyway.
    public var goAwayTimeout: Duration

    public init(
        receiveWindow: Int = 256 * 1024,
        acceptBacklog: Int = 256,
        ackBacklog: Int = 256,
        maxStreams: Int = 1024,
        maxFramePayload: Int = 65_519 - YamuxFrameHeader.size,
        maxPendingControlFrames: Int = 1024,
        goAwayTimeout: Duration = .seconds(2)
    ) {
        precondition(receiveWindow >= 256 * 1024 && receiveWindow <= Int(UInt32.max), "yamux receive window must be in 256 KiB...4 GiB")
        precondition(acceptBacklog > 0 && ackBacklog > 0 && maxStreams > 0 && maxFramePayload > 0 && maxPendingControlFrames > 0)
        self.receiveWindow = receiveWindow
        self.acceptBacklog = acceptBacklog
        self.ackBacklog = ackBacklog
        self.maxStreams = maxStreams
        self.maxFramePayload = maxFramePayload
        self.maxPendingControlFrames = maxPendingControlFrames
        self.goAwayTimeout = goAwayTimeout
    }
}

/// The error code a go away frame carries.
public enum YamuxGoAwayCode: Equatable, Sendable, CustomStringConvertible {
    case normal
    case protocolError
    case internalError
    case other(UInt32)

    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .normal
        case 1: self = .protocolError
        case 2: self = .internalError
        default: self = .other(rawValue)
        }
    }

    public var rawValue: UInt32 {
        switch self {
        case .normal: return 0
        case .protocolError: return 1
        case .internalError: return 2
        case .other(let value): return value
        }
    }

    public var description: String {
        switch self {
        case .normal: return "normal termination"
        case .protocolError: return "protocol error"
        case .internalError: return "internal error"
        case .other(let value): return "unknown code \(value)"
        }
    }
}
