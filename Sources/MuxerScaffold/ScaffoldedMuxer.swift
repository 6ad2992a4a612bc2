import LibP2PCore
import LibP2PRegistry
import NIOCore

/// What a muxer declares to run on the `MuxerScaffold`: its frame codec, its stream
/// type (the adapter around its per-stream state machine) and its session-wide
/// rules. The scaffold brings the rest: the read loop, the serialized frame writer
/// with its control-frame queue, the stream table, the accept backlog and the
/// shutdown fan-out. The muxer's session owns a `MuxerScaffold<Self>` and passes
/// its frame handler to `run`.
///
/// Conform a caseless enum of the plugin's (`enum YamuxScaffolding: ScaffoldedMuxer`),
/// so the plugin's public session type exposes none of this.
public protocol ScaffoldedMuxer: SendableMetatype {
    /// Splits the bytes from the peer into frames.
    associatedtype Decoder: MuxerFrameDecoder
    /// How the stream table names a stream (yamux: its ID; mplex: ID and opener).
    associatedtype StreamKey: Hashable & Sendable
    associatedtype Stream: ScaffoldedStream
    /// The muxer's own session state, kept under the scaffold's lock with the
    /// stream table: ID allocation, pings, go away, its own waiters.
    associatedtype Rules: MuxerSessionRules
}

/// A muxer's frame decoder: fed chunks, it hands out whole frames.
public protocol MuxerFrameDecoder: Sendable {
    associatedtype Frame: Sendable
    /// Why bytes are not a frame; its description becomes the protocol violation.
    associatedtype DecodingError: Error & CustomStringConvertible

    mutating func append(_ chunk: ByteBuffer)
    /// The next complete frame, or nil until more bytes arrive.
    mutating func next() throws(DecodingError) -> Frame?
    /// Called at the end of input: throws if it ended inside a frame.
    func finish() throws(DecodingError)
}

/// A stream in the scaffold's table.
public protocol ScaffoldedStream: AnyObject, Sendable {
    /// The session ended under the stream: fail its pending and later operations
    /// (buffered data may stay readable). `error` says why (`MuxerSessionEnd.error`).
    func sessionEnded(_ error: MuxerError)
}

/// The muxer's session-wide state, kept in `MuxerScaffold.State.rules`.
public protocol MuxerSessionRules: Sendable {
    /// The session is ending for `end` (called once, under the scaffold's lock):
    /// take the muxer's own waiters to wake and the frame to send last, if any.
    mutating func sessionEnding(_ end: MuxerSessionEnd) -> MuxerSessionEnding
}

/// What a muxer's rules hand back when the session ends.
public struct MuxerSessionEnding: Sendable {
    /// The muxer's own parked tasks (stream opens, pings), resumed after the lock.
    public var wakeUps: Resumptions
    /// A last frame for the peer (yamux's go away); it gets `farewellTimeout` to go out.
    public var farewell: ByteBuffer?

    public init(wakeUps: Resumptions = Resumptions(), farewell: ByteBuffer? = nil) {
        self.wakeUps = wakeUps
        self.farewell = farewell
    }
}

/// Why a session ended. The first reason wins.
public enum MuxerSessionEnd: Sendable {
    /// The owner called `close()`.
    case closedLocally
    /// The peer ended the stream below between frames.
    case remoteClosed
    /// A protocol violation (a `MuxerError`) or a broken stream below.
    case failed(any Error)

    /// What pending and later operations fail with: the violation itself, else
    /// `MuxerError.connectionClosed`.
    public var error: MuxerError {
        if case .failed(let error as MuxerError) = self { return error }
        return .connectionClosed
    }
}
