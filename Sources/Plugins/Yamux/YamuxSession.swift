import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization

/// A yamux session over one secured byte stream.
///
/// `run()` reads and dispatches frames (see `YamuxSession+Inbound.swift`) and, beside
/// it, writes the control frames the read loop queues. Every other frame is written by
/// the task that causes it (a stream's `write`, `read` handing back window,
/// `openStream`) through one FIFO write lock, so frames never interleave and an
/// uncontended write costs no task hop.
public final class YamuxSession: MuxedConnection, CustomStringConvertible {
    public let role: MuxerRole
    public let configuration: YamuxConfiguration
    let underlying: any ByteStream
    let writeLock = AsyncWriteLock()
    let control: ControlFrameQueue
    let state: Mutex<State>

    struct State {
        var streams: [UInt32: YamuxStream] = [:]
        /// The next ID we open; 64 bits so running out of 32-bit IDs is detectable.
        var nextStreamID: UInt64
        /// Our streams whose SYN the peer has not acknowledged (the ACK backlog).
        var unacknowledged: Set<UInt32> = []
        /// Inbound streams waiting for `acceptStream()`.
        var backlog = FIFOQueue<YamuxStream>()
        var acceptWaiters = FIFOQueue<(id: UInt64, continuation: CheckedContinuation<YamuxStream?, any Error>)>()
        /// `openStream()` calls waiting for the ACK backlog to shrink.
        var openWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var pings: [UInt32: PendingPing] = [:]
        var nextPingValue: UInt32 = 0
        var nextWaiterID: UInt64 = 0
        var running = false
        /// The peer's go away: it opens no more streams and accepts none of ours.
        var receivedGoAway: YamuxGoAwayCode?
        /// Our go away: we accept no more streams and open none.
        var sentGoAway = false
        /// Set once when the session ends; every later operation fails with it.
        var ended: MuxerError?

        mutating func makeWaiterID() -> UInt64 {
            nextWaiterID += 1
            return nextWaiterID
        }
    }

    enum PendingPing {
        case sent
        case waiting(CheckedContinuation<Void, any Error>)
        case answered
    }

    init(over stream: any ByteStream, role: MuxerRole, configuration: YamuxConfiguration) {
        self.underlying = stream
        self.role = role
        self.configuration = configuration
        self.control = ControlFrameQueue(limit: configuration.maxPendingControlFrames)
        self.state = Mutex(State(nextStreamID: role == .initiator ? 1 : 2))
    }

    public var description: String { "yamux session (\(role))" }

    /// The peer's go away code, once it sent one.
    public var remoteGoAway: YamuxGoAwayCode? { state.withLock { $0.receivedGoAway } }

    /// Streams the session still tracks (open in at least one direction).
    public var activeStreamCount: Int { state.withLock { $0.streams.count } }

    // MARK: Run

    public func run() async throws {
        let mayRun = try state.withLock { s -> Bool in
            if s.running { throw MuxerError.protocolViolation("yamux session run() called twice") }
            s.running = true
            return s.ended == nil
        }
        guard mayRun else { return }
        let failure: (any Error)? = await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeControlFrames() }
            var failure: (any Error)?
            do {
                try await readFrames()
                await shutDown(goAway: nil, error: .connectionClosed)
            } catch let error as MuxerError {
                if case .protocolViolation = error {
                    await shutDown(goAway: .protocolError, error: error)
                } else {
                    await shutDown(goAway: nil, error: error)
                }
                failure = error
            } catch {
                await shutDown(goAway: nil, error: .connectionClosed)
                failure = error
            }
            group.cancelAll()
            return failure
        }
        if let failure { throw failure }
    }

    /// Sends the frames the read loop queued, batched into one write each time.
    private func writeControlFrames() async {
        while let batch = await control.next() {
            do {
                try await withWriteLock { try await self.underlying.write(batch) }
            } catch {
                // Either the session is ending, or the stream below broke: then close it
                // so the read loop ends too.
                if state.withLock({ $0.ended == nil }) { await underlying.close() }
                return
            }
        }
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
            // IDs are allocated under the write lock so SYNs go out in increasing order.
            let stream: YamuxStream? = try await withWriteLock {
                let stream = try self.state.withLock { s -> YamuxStream? in
                    if let ended = s.ended { throw ended }
                    if s.receivedGoAway != nil || s.sentGoAway { throw MuxerError.connectionClosed }
                    if s.unacknowledged.count >= self.configuration.ackBacklog { return nil }  // lost a race: wait again
                    guard s.streams.count < self.configuration.maxStreams, s.nextStreamID <= UInt64(UInt32.max) else {
                        throw MuxerError.tooManyStreams
                    }
                    let id = UInt32(s.nextStreamID)
                    s.nextStreamID += 2
                    let stream = YamuxStream(id: id, outbound: true, session: self)
                    s.streams[id] = stream
                    s.unacknowledged.insert(id)
                    return stream
                }
                guard let stream else { return nil }
                let syn = YamuxFrameHeader(type: .windowUpdate, flags: .syn, streamID: stream.id, length: stream.takeSynWindowExtension())
                do {
                    try await self.underlying.write(syn.encoded)
                } catch {
                    self.remove(stream)
                    throw error
                }
                return stream
            }
            if let stream { return stream }
        }
    }

    /// The next inbound stream; `nil` once the session ended or a go away (either
    /// way) means no more will come.
    public func acceptYamuxStream() async throws -> YamuxStream? {
        let id = state.withLock { $0.makeWaiterID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<YamuxStream?, any Error>) in
                // Decide under the lock, resume after releasing it (see DEADLOCK.md).
                enum Outcome { case parked, deliver(YamuxStream?), cancelled }
                let outcome: Outcome = state.withLock { s in
                    if let stream = s.backlog.popFirst() {
                        return .deliver(stream)
                    } else if s.ended != nil || s.receivedGoAway != nil || s.sentGoAway {
                        return .deliver(nil)
                    } else if Task.isCancelled {
                        return .cancelled
                    } else {
                        s.acceptWaiters.append((id, continuation))
                        return .parked
                    }
                }
                switch outcome {
                case .parked: break
                case .deliver(let stream): continuation.resume(returning: stream)
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let cancelled = state.withLock { $0.acceptWaiters.removeFirst(where: { $0.id == id }) }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    private func waitForAckBacklogSlot() async throws {
        while true {
            let id: UInt64? = try state.withLock { s in
                if let ended = s.ended { throw ended }
                return s.unacknowledged.count < configuration.ackBacklog ? nil : s.makeWaiterID()
            }
            guard let id else { return }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let parked = state.withLock { s -> Bool in
                        guard s.ended == nil, !Task.isCancelled, s.unacknowledged.count >= configuration.ackBacklog else { return false }
                        s.openWaiters[id] = continuation
                        return true
                    }
                    if !parked { continuation.resume() }
                }
            } onCancel: {
                let cancelled = state.withLock { $0.openWaiters.removeValue(forKey: id) }
                cancelled?.resume()
            }
            try Task.checkCancellation()
        }
    }

    /// Forgets a stream once both directions are done, so the table never leaks.
    func forgetIfFinished(_ stream: YamuxStream) {
        if stream.isFinished { remove(stream) }
    }

    func remove(_ stream: YamuxStream) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard s.streams[stream.id] === stream else { return [] }
            s.streams[stream.id] = nil
            return s.unacknowledged.remove(stream.id) == nil ? [] : s.takeOpenWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Writing

    /// Runs `body` holding the frame-write lock.
    func withWriteLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await writeLock.acquire()
        defer { writeLock.release() }
        return try await body()
    }

    /// Writes one frame of `stream` in one write. If the stream still owes the peer
    /// its ACK, the ACK goes first: folded into a window update, or as a window
    /// update of its own in the same write (never on a data frame, which py-libp2p
    /// would misparse).
    func writeStreamFrame(
        for stream: YamuxStream, type: YamuxFrameHeader.FrameType, flags: YamuxFrameHeader.Flags = [],
        length: UInt32 = 0, payload: ByteBuffer? = nil
    ) async throws {
        try await withWriteLock {
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
            try await self.underlying.write(buffer)
        }
    }
}
