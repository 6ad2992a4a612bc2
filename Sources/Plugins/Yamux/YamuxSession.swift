import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// A yamux session over one secured byte stream, on the shared muxer scaffold.
///
/// `run()` is the scaffold's read loop, which hands each frame to `handle(_:)` (see
/// `YamuxSession+Inbound.swift`); the scaffold also keeps the stream table, the
/// accept backlog and yamux's session rules (`YamuxSessionRules`) under one lock. Every other frame is written by the task that causes
/// it (a stream's `write`, `read` handing back window, `openStream`) through the
/// scaffold's frame writer, so frames never interleave and an uncontended write costs
/// no task hop.
public final class YamuxSession: MuxedConnection, CustomStringConvertible {
    public let role: MuxerRole
    public let configuration: YamuxConfiguration
    let scaffold: MuxerScaffold<YamuxScaffolding>

    init(over stream: any ByteStream, role: MuxerRole, configuration: YamuxConfiguration) {
        self.role = role
        self.configuration = configuration
        self.scaffold = MuxerScaffold(
            over: stream, rules: YamuxSessionRules(nextStreamID: role == .initiator ? 1 : 2),
            acceptBacklog: configuration.acceptBacklog, controlLimit: configuration.maxPendingControlFrames,
            farewellTimeout: configuration.goAwayTimeout)
    }

    public var description: String { "yamux session (\(role))" }

    /// The peer's go away code, once it sent one.
    public var remoteGoAway: YamuxGoAwayCode? { scaffold.state.withLock { $0.rules.receivedGoAway } }

    /// Streams the session still tracks (open in at least one direction).
    public var activeStreamCount: Int { scaffold.state.withLock { $0.streams.count } }

    public func run() async throws {
        try await scaffold.run(
            decoder: YamuxFrameDecoder(maxDataLength: UInt32(configuration.receiveWindow)), handle: handle,
            calledTwice: MuxerError.protocolViolation("yamux session run() called twice"))
    }

    // MARK: Streams

    public func openStream() async throws -> any MuxedStream {
        try await openYamuxStream()
    }

    public func acceptStream() async throws -> (any MuxedStream)? {
        try await acceptYamuxStream()
    }

    /// Opens a stream: sends a window update with SYN at once (no wait for the ACK;
    /// data may follow immediately). Waits while `ackBacklog` of our streams are
    /// unacknowledged.
    public func openYamuxStream() async throws -> YamuxStream {
        while true {
            try await waitForAckBacklogSlot()
            var opened: YamuxStream?
            do {
                // IDs are allocated holding the write lock, so SYNs go out in increasing order.
                try await scaffold.writer.write {
                    opened = try self.scaffold.state.withLock { s in try self.allocateStream(&s) }
                    guard let stream = opened else { return nil }
                    return YamuxFrameHeader(type: .windowUpdate, flags: .syn, streamID: stream.id, length: stream.takeSynWindowExtension())
                        .encoded
                }
            } catch {
                if let opened { remove(opened) }
                throw error
            }
            if let opened { return opened }
        }
    }

    /// A new outbound stream in the table, or nil if another opener took the last
    /// ACK-backlog slot first.
    private func allocateStream(_ s: inout MuxerScaffold<YamuxScaffolding>.State) throws -> YamuxStream? {
        if let error = s.endError { throw error }
        if s.rules.receivedGoAway != nil || s.rules.sentGoAway { throw MuxerError.connectionClosed }
        if s.rules.unacknowledged.count >= configuration.ackBacklog { return nil }
        guard s.streams.count < configuration.maxStreams, s.rules.nextStreamID <= UInt64(UInt32.max) else {
            throw MuxerError.tooManyStreams
        }
        let id = UInt32(s.rules.nextStreamID)
        s.rules.nextStreamID += 2
        let stream = YamuxStream(id: id, outbound: true, session: self)
        s.streams[id] = stream
        s.rules.unacknowledged.insert(id)
        return stream
    }

    /// The next inbound stream; `nil` once the session ended or a go away (either
    /// way) means no more will come.
    public func acceptYamuxStream() async throws -> YamuxStream? {
        try await scaffold.accept()
    }

    private func waitForAckBacklogSlot() async throws {
        try await scaffold.state.wait(in: { s, use in use(&s.rules.openWaiters) }) { s, _ in
            if let error = s.endError { throw error }
            return s.rules.unacknowledged.count < configuration.ackBacklog ? .ready(()) : .park
        }
    }

    /// Forgets a stream once both directions are done, so the table never leaks.
    func forgetIfFinished(_ stream: YamuxStream) {
        if stream.isFinished { remove(stream) }
    }

    func remove(_ stream: YamuxStream) {
        scaffold.state.withLockThenResume { s in
            guard s.streams[stream.id] === stream else { return Resumptions() }
            s.streams[stream.id] = nil
            return s.rules.acknowledged(stream.id)
        }
    }

    // MARK: Writing

    /// Writes one frame of `stream` in one write. If the stream still owes the peer
    /// its ACK, the ACK goes first: folded into a window update, or as a window
    /// update of its own in the same write (never on a data frame, which py-libp2p
    /// would misparse).
    func writeStreamFrame(
        for stream: YamuxStream, type: YamuxFrameHeader.FrameType, flags: YamuxFrameHeader.Flags = [],
        length: UInt32 = 0, payload: ByteBuffer? = nil
    ) async throws {
        try await scaffold.writer.write {
            var flags = flags
            var length = payload.map { UInt32($0.readableBytes) } ?? length
            var buffer = ByteBuffer()
            buffer.reserveCapacity(2 * YamuxFrameHeader.size + (payload?.readableBytes ?? 0))
            if !flags.contains(.rst) {
                let (ack, windowExtension) = stream.takeAcknowledgement()
                if ack, type == .windowUpdate {
                    flags.insert(.ack)
                    length += windowExtension
                } else if ack {
                    YamuxFrameHeader(type: .windowUpdate, flags: .ack, streamID: stream.id, length: windowExtension)
                        .encode(into: &buffer)
                }
            }
            YamuxFrameHeader(type: type, flags: flags, streamID: stream.id, length: length).encode(into: &buffer)
            if let payload { buffer.writeImmutableBuffer(payload) }
            return buffer
        }
    }
}
