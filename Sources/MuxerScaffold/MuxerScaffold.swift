import LibP2PCore
import LibP2PRegistry
import NIOCore

/// What every muxer session needs besides its own protocol: the read loop, the
/// serialized frame writer (`writer`), the stream table and the muxer's rules under
/// one lock (`state`), the accept backlog, and the end of the session, which fails
/// everything pending at once. A muxer's session owns one and supplies
/// the codec, the handling of one frame, its streams and its rules (`ScaffoldedMuxer`).
public final class MuxerScaffold<Muxer: ScaffoldedMuxer>: Sendable {
    /// The table and the muxer's rules, changed together under one lock.
    public struct State: Sendable {
        public var streams: [Muxer.StreamKey: Muxer.Stream] = [:]
        public var rules: Muxer.Rules
        /// Why the session ended; nil while it is open.
        public fileprivate(set) var ending: MuxerSessionEnd?
        @usableFromInline var running = false
        /// `accept()` calls of a session that accepts nothing, waiting for its end.
        fileprivate var neverAccepted = WaiterQueue<Void>()

        /// What operations fail with once the session has ended; nil while open.
        public var endError: MuxerError? { ending?.error }
        public var isOpen: Bool { ending == nil }
    }

    public let state: LockedState<State>
    public let writer: MuxerFrameWriter
    @usableFromInline let input: any ByteStream
    /// Inbound streams not accepted yet; nil when the muxer accepts none (capacity 0).
    private let backlog: AsyncBoundedBuffer<Muxer.Stream>?
    private let farewellTimeout: Duration

    /// - Parameters:
    ///   - acceptBacklog: inbound streams waiting for `accept()`; beyond it
    ///     `offerInbound` refuses them.
    ///   - controlLimit: control frames that may wait for a peer that does not read.
    ///   - farewellTimeout: how long the last frame (go away) may take to go out.
    public init(
        over stream: any ByteStream, rules: Muxer.Rules, acceptBacklog: Int, controlLimit: Int,
        farewellTimeout: Duration = .seconds(2)
    ) {
        self.input = stream
        self.writer = MuxerFrameWriter(output: stream, controlLimit: controlLimit)
        self.state = LockedState(State(rules: rules))
        self.backlog = acceptBacklog > 0 ? AsyncBoundedBuffer(capacity: acceptBacklog) : nil
        self.farewellTimeout = farewellTimeout
    }

    // MARK: Running

    /// The session's `run()`: cuts frames out of the input with `decoder` and hands
    /// each to `handle` until the input ends, the session is closed or a frame breaks
    /// the rules, with the control-frame flusher beside it; then ends the session.
    /// Returns on a clean end, throws the failure otherwise; a second call throws
    /// `calledTwice`.
    ///
    /// `handle` must never suspend (it cannot: a slow stream or a peer that stops
    /// reading must not stall the read loop): data goes into stream buffers, frames
    /// to send back to `writer.enqueueControl`. It throws
    /// `MuxerError.protocolViolation` to end the session.
    @inlinable  // specialized in the muxer, so the per-frame loop runs no generic code
    public func run(
        decoder: Muxer.Decoder, handle: (Muxer.Decoder.Frame) throws -> Void, calledTwice: @autoclosure () -> any Error
    ) async throws {
        let mayRun = try state.withLock { s -> Bool in
            if s.running { throw calledTwice() }
            s.running = true
            return s.isOpen
        }
        if mayRun {
            let writer = self.writer
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await writer.runControlFlusher() }
                await end(readFrames(decoder, handle))
                group.cancelAll()
            }
        }
        if case .failed(let error)? = state.withLock({ $0.ending }) { throw error }
    }

    @inlinable
    func readFrames(_ decoder: Muxer.Decoder, _ handle: (Muxer.Decoder.Frame) throws -> Void) async -> MuxerSessionEnd {
        var decoder = decoder
        do {
            while let chunk = try await input.read() {
                decoder.append(chunk)
                while let frame = try decoder.next() {
                    try handle(frame)
                    // A chunk of tiny frames (a ping flood) can take a long turn.
                    await LoopTurn.stepAsideIfOverdue()
                }
                // Let the readers this chunk woke take their data before the next chunk:
                // on the same executor, a loop that always finds input ready would
                // otherwise buffer a whole window (or, for mplex, megabytes) ahead of
                // them, and the sender would stop and go instead of streaming.
                await Task.yield()
            }
            try decoder.finish()
            return .remoteClosed
        } catch let error as Muxer.Decoder.DecodingError {
            return .failed(MuxerError.protocolViolation(error.description))
        } catch {
            // After a local close the stream below may fail rather than end; the
            // first reason wins in `end`, so this one is then ignored.
            return .failed(error)
        }
    }

    // MARK: Accepting

    /// Hands a new inbound stream (already in the table) to `accept()`; false when the
    /// backlog is full or closed: the muxer refuses the stream and forgets it.
    public func offerInbound(_ stream: Muxer.Stream) -> Bool {
        backlog?.offer(stream) == .accepted
    }

    /// Whether `offerInbound` would find room now (the read loop is its only caller).
    public var acceptBacklogHasRoom: Bool {
        guard let backlog else { return false }
        return backlog.count < backlog.capacity
    }

    /// Inbound streams waiting for `accept()`.
    public var acceptBacklogCount: Int { backlog?.count ?? 0 }

    /// The next inbound stream; nil once the session ended or the backlog was
    /// closed (a go away) and drained.
    public func accept() async throws -> Muxer.Stream? {
        guard let backlog else {
            // Nothing is ever accepted: wait for the end.
            try await state.wait(in: { s, use in use(&s.neverAccepted) }) { s, _ in s.isOpen ? .park : .ready(()) }
            return nil
        }
        do {
            return try await backlog.next()
        } catch is AcceptBacklogEnded {
            return nil
        }
    }

    /// No more inbound streams (a go away, sent or received): `accept()` returns
    /// what is queued, then nil.
    public func closeAcceptBacklog() {
        backlog?.finish()
    }

    /// Takes a stream out of the backlog (it was reset before anyone accepted it).
    public func removeFromAcceptBacklog(_ stream: Muxer.Stream) {
        backlog?.removeAll(where: { $0 === stream })
    }

    // MARK: The end

    /// Ends the session once: marks it ended, fails pending accepts, writes and the
    /// muxer's own waiters, ends every stream, sends the rules' farewell frame (if
    /// any, bounded by `farewellTimeout`) and closes the stream below, which also
    /// ends the read loop. A write that broke the connection is the reason unless
    /// the owner closed first.
    public func end(_ proposed: MuxerSessionEnd) async {
        var reason = proposed
        if case .closedLocally = proposed {} else if let broken = writer.writeFailure {
            reason = .failed(broken)
        }
        let ending = state.withLock { s -> (streams: [Muxer.Stream], rules: MuxerSessionEnding, acceptors: Resumptions)? in
            guard s.isOpen else { return nil }
            s.ending = reason
            let streams = Array(s.streams.values)
            s.streams.removeAll()
            return (streams, s.rules.sessionEnding(reason), s.neverAccepted.wakeAll(returning: ()))
        }
        guard let ending else { return }
        let error = reason.error
        ending.rules.wakeUps.resume()
        ending.acceptors.resume()
        backlog?.fail(AcceptBacklogEnded())
        writer.fail(error)
        for stream in ending.streams { stream.sessionEnded(error) }
        if let farewell = ending.rules.farewell {
            await writer.writeFinal(farewell, within: farewellTimeout)
        }
        await input.close()
    }
}

/// Ends `accept()` calls when the session ends (they return nil).
private struct AcceptBacklogEnded: Error {}
