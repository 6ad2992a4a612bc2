import LibP2PCore
import NIOCore

/// Which side of the connection we are: the dialer initiates.
public enum MuxerRole: Sendable, Equatable {
    case initiator
    case responder
}

/// A stream multiplexer plugin (`yamux`, `mplex`).
public protocol MuxerProtocol: Sendable {
    /// The env-var name (`muxer=yamux`).
    var name: String { get }
    /// The protocol ID (`/yamux/1.0.0`), used in multistream, Noise extensions and TLS ALPN.
    var protocolID: String { get }
    /// A session over an already secured stream. Nothing happens on the wire until
    /// the session's `run()` is called.
    func makeSession(over stream: any ByteStream, role: MuxerRole) -> any MuxedConnection
}

/// A multiplexed connection. Its `run()` drives the read loop and must be running
/// (in a task group the owner controls) for streams to make progress.
public protocol MuxedConnection: Sendable {
    /// Reads and dispatches frames until the connection ends or `close()` is called.
    /// Returns normally on a clean close; throws on a protocol error or a broken
    /// underlying stream. Every pending stream operation fails when it returns.
    func run() async throws
    /// Opens a new outbound stream.
    func openStream() async throws -> any MuxedStream
    /// The next inbound stream; `nil` once the connection is closed.
    func acceptStream() async throws -> (any MuxedStream)?
    /// Closes the connection (go away where the protocol has one) and the stream below.
    func close() async
}

/// One stream of a muxed connection.
public protocol MuxedStream: ByteStream {
    /// Abruptly ends both directions; the remote sees a reset.
    func reset() async
}

/// Errors every muxer may report.
public enum MuxerError: Error, Equatable, CustomStringConvertible {
    case protocolViolation(String)
    case connectionClosed
    case tooManyStreams

    public var description: String {
        switch self {
        case .protocolViolation(let why): return "muxer protocol violation: \(why)"
        case .connectionClosed: return "muxed connection is closed"
        case .tooManyStreams: return "too many streams"
        }
    }
}
