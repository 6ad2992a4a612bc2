import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization

/// An mplex session over a secured byte stream: the `MuxedConnection` that
/// `MplexMuxer.makeSession` returns. `run()` reads and dispatches frames; stream
/// operations write frames directly through a `MplexFrameWriter`.
public final class MplexSession: MuxedConnection {
    public let role: MuxerRole
    public let configuration: MplexMuxer.Configuration

    private let connection: any ByteStream
    let writer: MplexFrameWriter
    private let state = Mutex(MplexSessionState())
    /// Unread bytes over all streams, including finished ones the user still holds.
    private let bufferedTotal = Atomic<Int>(0)

    public init(over stream: any ByteStream, role: MuxerRole, configuration: MplexMuxer.Configuration = .init()) {
        self.connection = stream
        self.role = role
        self.configuration = configuration
        self.writer = MplexFrameWriter(output: stream, controlLimit: configuration.maxPendingControlFrames)
    }

    // MARK: MuxedConnection

    public func run() async throws {
        try state.withLock { s in
            guard !s.isRunning else { throw MplexUsageError.runCalledTwice }
            s.isRunning = true
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writer.runControlFlusher() }
            await end(readFrames())
            group.cancelAll()
        }
        if case .ended(.failed(let error)) = state.withLock({ $0.phase }) { throw error }
    }

    public func openStream() async throws -> any MuxedStream {
        let stream = try state.withLock { s throws(MuxerError) -> MplexStream in
            guard s.isOpen else { throw .connectionClosed }
            guard s.streams.count < configuration.maxStreams, s.nextOutboundID <= MplexFrame.maxStreamID else {
                throw .tooManyStreams
            }
            let id = s.takeOutboundID()
            let stream = MplexStream(key: MplexStreamKey(id: id, openedLocally: true), name: String(id), session: self)
            s.register(stream)
            return stream
        }
        let newStream = MplexFrame(streamID: stream.id, flag: .newStream, payload: ByteBuffer(string: stream.name))
        do {
            try await writer.write(newStream.encoded(), owner: nil)
        } catch {
            forget(stream)
            stream.sessionEnded()
            throw error
        }
        return stream
    }

    public func acceptStream() async throws -> (any MuxedStream)? {
        enum Step {
            case stream(MplexStream)
            case ended
            case wait(ticket: UInt64)
        }
        let step: Step = state.withLock { s in
            if let stream = s.popBacklog() { return .stream(stream) }
            guard s.isOpen else { return .ended }
            return .wait(ticket: s.newAcceptTicket())
        }
        switch step {
        case .stream(let stream): return stream
        case .ended: return nil
        case .wait(let ticket):
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MplexStream?, any Error>) in
                    // nil: parked. Resumed only once the lock is released.
                    let immediate: Result<MplexStream?, any Error>? = state.withLock { s in
                        if let stream = s.popBacklog() {
                            return .success(stream)
                        } else if !s.isOpen {
                            return .success(nil)
                        } else if Task.isCancelled {
                            return .failure(CancellationError())
                        } else {
                            s.parkAcceptor(ticket: ticket, continuation)
                            return nil
                        }
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                state.withLock { $0.removeAcceptor(ticket: ticket) }?.resume(throwing: CancellationError())
            }
        }
    }

    /// Ends the session at once: every pending stream operation fails, `acceptStream`
    /// returns nil, the underlying stream is closed and `run()` returns.
    public func close() async {
        await end(.closedLocally)
    }

    // MARK: The read loop

    private func readFrames() async -> MplexSessionEnd {
        var decoder = MplexFrameDecoder(maxMessageSize: configuration.maxMessageSize)
        do {
            while let chunk = try await connection.read() {
                decoder.append(chunk)
                while let frame = try decoder.next() {
                    try handle(frame)
                }
            }
            try decoder.finish()
            return .remoteClosed
        } catch let error as MplexFrameError {
            return .failed(MuxerError.protocolViolation(error.description))
        } catch {
            return .failed(error)
        }
    }

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
                try writer.enqueueControl(stream.frame(.reset))
            }
        case .close:
            lookUp(key)?.receiveClose()
        case .reset:
            lookUp(key)?.receiveReset()
        }
    }

    private func acceptNewStream(_ key: MplexStreamKey, name payload: ByteBuffer) throws {
        enum Outcome {
            case accepted
            /// Accepted and handed to a waiting acceptor, to resume outside the lock.
            case handedOff(CheckedContinuation<MplexStream?, any Error>, MplexStream)
            case refused, duplicate, ignored
        }
        let name = String(decoding: payload.readableBytesView.prefix(1024), as: UTF8.self)
        let outcome: Outcome = state.withLock { s in
            guard s.isOpen else { return .ignored }
            guard s.streams[key] == nil else { return .duplicate }
            guard s.streams.count < configuration.maxStreams, s.backlog.count < configuration.acceptBacklog else {
                return .refused
            }
            let stream = MplexStream(key: key, name: name, session: self)
            switch s.deliverInbound(stream) {
            case .handedToAcceptor(let acceptor): return .handedOff(acceptor, stream)
            case .queued: return .accepted
            }
        }
        switch outcome {
        case .accepted, .ignored:
            return
        case .handedOff(let acceptor, let stream):
            acceptor.resume(returning: stream)
        case .duplicate:
            throw MuxerError.protocolViolation("mplex NewStream for stream \(key.id), which the peer already has open")
        case .refused:
            // Too many streams or too many unaccepted: refuse this one with a reset, as
            // its acceptor (so ResetReceiver); data already in flight for it is dropped.
            try writer.enqueueControl(MplexFrame(streamID: key.id, flag: .resetReceiver).encoded())
        }
    }

    // MARK: Shared with streams

    func lookUp(_ key: MplexStreamKey) -> MplexStream? {
        state.withLock { $0.streams[key] }
    }

    func forget(_ stream: MplexStream) {
        state.withLock { $0.forget(stream) }
    }

    func accountBuffered(_ delta: Int) {
        bufferedTotal.add(delta, ordering: .relaxed)
    }

    /// Queues a Reset or Close frame; if the peer lets too many pile up, the session ends.
    func sendControl(_ frame: ByteBuffer) async {
        do {
            try writer.enqueueControl(frame)
        } catch {
            await end(.failed(error))
        }
    }

    private func end(_ proposed: MplexSessionEnd) async {
        var reason = proposed
        if case .closedLocally = proposed {} else if let writeFailure = writer.writeFailure {
            // A failed write closed the connection; that is why the read loop stopped.
            reason = .failed(writeFailure)
        }
        guard let leftovers = state.withLock({ $0.end(reason) }) else { return }
        writer.shutDown(MuxerError.connectionClosed)
        for waiter in leftovers.acceptWaiters { waiter.resume(returning: nil) }
        for stream in leftovers.streams { stream.sessionEnded() }
        await connection.close()
    }

    // MARK: Introspection for tests

    /// Streams frames can still be routed to.
    var streamCount: Int { state.withLock { $0.streams.count } }
    /// Inbound streams not accepted yet.
    var backlogCount: Int { state.withLock { $0.backlog.count } }
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
