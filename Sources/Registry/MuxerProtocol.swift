import LibP2PCore
import NIOCore

/// Which side of the connection we are: the dialer initiates.
public enum MuxerRole: Sendable, Equatable {
    case initiator
    case responder
}

/// A stream multiplexer plugin (`yamux`, `mplex`).
///
/// Every muxer keeps these rules, which `MuxerConformance` checks:
///
/// - ``makeSession(over:role:)`` does no I/O. `role` is ``MuxerRole/initiator`` on
///   the dialer's side and ``MuxerRole/responder`` on the listener's; the two sides
///   of one connection always have different roles.
/// - The session's ``MuxedConnection/run()`` drives the read loop, called by the
///   owner inside a task group it controls (never a `Task {}` started from an
///   initializer).
/// - The read loop never waits on one stream: a stream whose reader is slow must
///   not stall the others. Bound what is buffered per stream (a window, or a limit
///   after which the stream is reset), the number of streams and the number of
///   streams not yet accepted.
/// - Errors are ``MuxerError`` and `StreamError`, with readable descriptions.
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
    ///
    /// Returns normally on a clean end (our ``close()``, or the peer's: go away, end
    /// of stream); throws on a protocol violation or a broken stream below. When it
    /// returns, every pending operation has failed: ``acceptStream()`` returns
    /// `nil`, reads end, writes and ``openStream()`` throw.
    func run() async throws
    /// Opens a new outbound stream.
    func openStream() async throws -> any MuxedStream
    /// The next inbound stream; `nil` once the connection is closed.
    func acceptStream() async throws -> (any MuxedStream)?
    /// Fails every pending operation, tells the peer where the protocol can (go
    /// away), and closes the stream below.
    func close() async
}

/// One stream of a muxed connection.
public protocol MuxedStream: ByteStream {
    /// Abruptly ends both directions: the peer's pending and later reads throw (a
    /// reset is not a clean end), and writes on both sides throw.
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
