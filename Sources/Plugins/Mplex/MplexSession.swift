import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore
import Synchronization

/// Mplex on the muxer scaffold: its codec, its streams, its session rules.
enum MplexScaffolding: ScaffoldedMuxer {
    typealias Decoder = MplexFrameDecoder
    typealias StreamKey = MplexStreamKey
    typealias Stream = MplexStream
    typealias Rules = MplexSessionRules
}

extension MplexFrameDecoder: MuxerFrameDecoder {}

/// Mplex's session-wide state, kept by the scaffold with the stream table.
struct MplexSessionRules: MuxerSessionRules {
    /// go, rust and js all number their streams 0, 1, 2… on both sides (not the spec's
    /// odd/even split); keying by opener makes the overlap harmless, so we do the same.
    var nextOutboundID: UInt64 = 0

    /// mplex has no go away: the end sends nothing and nobody else waits.
    mutating func sessionEnding(_ end: MuxerSessionEnd) -> MuxerSessionEnding {
        MuxerSessionEnding()
    }
}

/// An mplex session over a secured byte stream: the `MuxedConnection` that
/// `MplexMuxer.makeSession` returns. `run()` is the scaffold's read loop, handing each
/// frame to `handle(_:)`; stream operations write frames through the scaffold's writer.
public final class MplexSession: MuxedConnection {
    public let role: MuxerRole
    public let configuration: MplexMuxer.Configuration

    let scaffold: MuxerScaffold<MplexScaffolding>
    /// Unread bytes over all streams, including finished ones the user still holds.
    private let bufferedTotal = Atomic<Int>(0)

    public init(over stream: any ByteStream, role: MuxerRole, configuration: MplexMuxer.Configuration = .init()) {
        self.role = role
        self.configuration = configuration
        self.scaffold = MuxerScaffold(
            over: stream, rules: MplexSessionRules(), acceptBacklog: configuration.acceptBacklog,
            controlLimit: configuration.maxPendingControlFrames)
    }

    // MARK: MuxedConnection

    public func run() async throws {
        try await scaffold.run(
            decoder: MplexFrameDecoder(maxMessageSize: configuration.maxMessageSize), handle: handle,
            calledTwice: MplexUsageError.runCalledTwice)
    }

    public func openStream() async throws -> any MuxedStream {
        let stream = try scaffold.state.withLock { s throws(MuxerError) -> MplexStream in
            guard s.isOpen else { throw .connectionClosed }
            guard s.streams.count < configuration.maxStreams, s.rules.nextOutboundID <= MplexFrame.maxStreamID else {
                throw .tooManyStreams
            }
            let id = s.rules.nextOutboundID
            s.rules.nextOutboundID += 1
            let stream = MplexStream(key: MplexStreamKey(id: id, openedLocally: true), name: String(id), session: self)
            s.streams[stream.key] = stream
            return stream
        }
        do {
            try await scaffold.writer.write(MplexFrame(streamID: stream.id, flag: .newStream, payload: ByteBuffer(string: stream.name)).encoded())
        } catch {
            forget(stream)
            stream.sessionEnded(.connectionClosed)
            throw error
        }
        return stream
    }

    public func acceptStream() async throws -> (any MuxedStream)? {
        try await scaffold.accept()
    }

    /// Ends the session at once: every pending stream operation fails, `acceptStream`
    /// returns nil, the underlying stream is closed and `run()` returns.
    public func close() async {
        await scaffold.end(.closedLocally)
    }

    // MARK: Inbound frames

    /// Applies one frame. Never waits: frames to send back are queued as control frames.
    private func handle(_ frame: MplexFrame) throws {
        let key = MplexStreamKey(frame: frame)
        switch frame.flag.kind {
        case .newStream:
            try acceptNewStream(key, name: frame.payload)
        case .message:
            // Data for a stream we no longer know is normal after a reset: drop it.
            guard let stream = lookUp(key) else { return }
            let room = configuration.maxConnectionReceiveBuffer - bufferedTotal.load(ordering: .relaxed)
            if stream.receive(frame.payload, connectionRoom: room) == .overflow {
                // No flow control in mplex: a reader this far behind loses its stream,
                // not the whole connection (see README.md).
                try queueControl(stream.frame(.reset))
            }
        case .close:
            lookUp(key)?.receiveClose()
        case .reset:
            lookUp(key)?.receiveReset()
        }
    }

    private func acceptNewStream(_ key: MplexStreamKey, name payload: ByteBuffer) throws {
        enum Admission { case admitted(MplexStream), refused, ignored }
        let name = String(decoding: payload.readableBytesView.prefix(1024), as: UTF8.self)
        let admission: Admission = try scaffold.state.withLock { s in
            guard s.isOpen else { return .ignored }
            guard s.streams[key] == nil else {
                throw MuxerError.protocolViolation("mplex NewStream for stream \(key.id), which the peer already has open")
            }
            guard s.streams.count < configuration.maxStreams, scaffold.acceptBacklogHasRoom else { return .refused }
            let stream = MplexStream(key: key, name: name, session: self)
            s.streams[key] = stream
            return .admitted(stream)
        }
        switch admission {
        case .ignored:
            return
        case .admitted(let stream):
            if scaffold.offerInbound(stream) { return }
            forget(stream)  // the session ended meanwhile
            return
        case .refused:
            // Too many streams or too many unaccepted: refuse this one with a reset, as
            // its acceptor (so ResetReceiver); data already in flight for it is dropped.
            try queueControl(MplexFrame(streamID: key.id, flag: .resetReceiver).encoded())
        }
    }

    // MARK: Shared with streams

    func lookUp(_ key: MplexStreamKey) -> MplexStream? {
        scaffold.state.withLock { $0.streams[key] }
    }

    /// Drops a finished stream from the table (if it is still the one under its key)
    /// and, unless `keepAcceptable`, from the accept backlog: a stream the peer reset
    /// before we accepted it is withdrawn. One we reset ourselves (its receive buffer
    /// overflowed) stays there, so that `acceptStream()` still hands it over and its
    /// reads report the reset: the peer considers it opened and the acceptor may be
    /// waiting for exactly this stream (a writer that outran its reader's accept).
    func forget(_ stream: MplexStream, keepAcceptable: Bool = false) {
        scaffold.state.withLock { s in
            if s.streams[stream.key] === stream { s.streams[stream.key] = nil }
        }
        if !stream.openedLocally && !keepAcceptable { scaffold.removeFromAcceptBacklog(stream) }
    }

    func accountBuffered(_ delta: Int) {
        bufferedTotal.add(delta, ordering: .relaxed)
    }

    /// Queues a Reset or Close frame; if the peer lets too many pile up, the session ends.
    func sendControl(_ frame: ByteBuffer) async {
        do {
            try queueControl(frame)
        } catch {
            await scaffold.end(.failed(error))
        }
    }

    private func queueControl(_ frame: ByteBuffer) throws(MuxerError) {
        guard scaffold.writer.enqueueControl(frame) else {
            throw .protocolViolation(
                "peer is not reading: over \(scaffold.writer.controlLimit) reset/close frames are waiting to be sent")
        }
    }

    // MARK: Introspection for tests

    /// Streams frames can still be routed to.
    var streamCount: Int { scaffold.state.withLock { $0.streams.count } }
    /// Inbound streams not accepted yet.
    var backlogCount: Int { scaffold.acceptBacklogCount }
    /// Unread bytes over all streams.
    var bufferedBytes: Int { bufferedTotal.load(ordering: .relaxed) }
}

/// Misuse of a session by its owner.
public enum MplexUsageError: Error, Equatable, CustomStringConvertible {
    case runCalledTwice

    public var description: String {
        switch self {
        case .runCalledTwice: return "MplexSession.run() was called while it already runs or ran"
        }
    }
}
