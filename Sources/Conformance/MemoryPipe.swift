import LibP2PCore
import NIOCore
import Synchronization

/// An in-memory duplex pipe: two connected `ByteStream`s, each direction a bounded
/// byte queue. A writer suspends while the queue holds `capacity` bytes or more, so
/// tests see real backpressure; `closeWrite` is a half-close; `close` ends both
/// directions and fails pending writes on both ends (the peer's and its own).
public enum MemoryPipe {
    public static func makePair(capacity: Int = 64 * 1024) -> (MemoryByteStream, MemoryByteStream) {
        let aToB = PipeDirection(capacity: capacity)
        let bToA = PipeDirection(capacity: capacity)
        return (MemoryByteStream(inbound: bToA, outbound: aToB), MemoryByteStream(inbound: aToB, outbound: bToA))
    }
}

/// One end of a `MemoryPipe`.
public final class MemoryByteStream: ByteStream {
    let inbound: PipeDirection
    let outbound: PipeDirection

    init(inbound: PipeDirection, outbound: PipeDirection) {
        self.inbound = inbound
        self.outbound = outbound
    }

    public func read() async throws -> ByteBuffer? { try await inbound.read() }
    public func write(_ buffer: ByteBuffer) async throws { try await outbound.write(buffer) }
    public func closeWrite() async throws { outbound.closeWriter() }

    public func close() async {
        outbound.closeWriter(failingPendingWrite: true)
        inbound.closeReader()
    }

    /// Bytes written to this end that the other end has not read yet.
    public var bytesInFlight: Int { outbound.queuedBytes }
}

final class PipeDirection: Sendable {
    private struct State {
        var chunks: [ByteBuffer] = []
        var head = 0
        var queuedBytes = 0
        var writerClosed = false
        /// This end was closed outright: a write still waiting for room fails.
        var writerAborted = false
        var readerClosed = false
        var readWaiter: CheckedContinuation<ByteBuffer?, any Error>?
        var writeWaiter: CheckedContinuation<Void, any Error>?

        mutating func popChunk() -> ByteBuffer? {
            guard head < chunks.count else { return nil }
            let chunk = chunks[head]
            head += 1
            if head == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                head = 0
            }
            queuedBytes -= chunk.readableBytes
            return chunk
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    var queuedBytes: Int { state.withLock { $0.queuedBytes } }

    // Continuations are always resumed after the lock is released: resuming takes
    // the resumed task's status lock, and a cancellation of that task holds its
    // status lock while its onCancel handler waits for this lock.

    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        let (mustWait, reader): (Bool, CheckedContinuation<ByteBuffer?, any Error>?) = try state.withLock { s in
            guard !s.writerClosed, !s.readerClosed else { throw StreamError.closed }
            if let reader = s.readWaiter.take() { return (false, reader) }
            s.chunks.append(buffer)
            s.queuedBytes += buffer.readableBytes
            return (s.queuedBytes >= capacity, nil)
        }
        reader?.resume(returning: buffer)
        guard mustWait else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { s in
                    if s.readerClosed || s.writerAborted { return .failure(StreamError.closed) }
                    if s.queuedBytes < capacity { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.writeWaiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.writeWaiter.take() }?.resume(throwing: CancellationError())
        }
    }

    func read() async throws -> ByteBuffer? {
        enum Step { case chunk(ByteBuffer), end, wait }
        let (step, writer): (Step, CheckedContinuation<Void, any Error>?) = try state.withLock { s in
            if let chunk = s.popChunk() {
                return (.chunk(chunk), s.queuedBytes < capacity ? s.writeWaiter.take() : nil)
            }
            if s.writerClosed || s.readerClosed { return (.end, nil) }
            if s.readWaiter != nil { throw StreamError.concurrentRead }
            return (.wait, nil)
        }
        writer?.resume()
        switch step {
        case .chunk(let chunk): return chunk
        case .end: return nil
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let (outcome, writer): (Result<ByteBuffer?, any Error>?, CheckedContinuation<Void, any Error>?) =
                    state.withLock { s in
                        if let chunk = s.popChunk() {
                            return (.success(chunk), s.queuedBytes < capacity ? s.writeWaiter.take() : nil)
                        }
                        if s.writerClosed || s.readerClosed { return (.success(nil), nil) }
                        if Task.isCancelled { return (.failure(CancellationError()), nil) }
                        s.readWaiter = continuation
                        return (nil, nil)
                    }
                writer?.resume()
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.readWaiter.take() }?.resume(throwing: CancellationError())
        }
    }

    /// The writer is done: the reader drains what is queued, then sees end of stream.
    /// A half-close leaves a write that is waiting for room waiting (its bytes are
    /// queued and the reader may still take them); a full close of the writing end
    /// (`failingPendingWrite`) fails it, so `close()` never leaves a writer hanging.
    func closeWriter(failingPendingWrite: Bool = false) {
        let (reader, writer) = state.withLock { s in
            s.writerClosed = true
            if failingPendingWrite { s.writerAborted = true }
            return (s.readWaiter.take(), failingPendingWrite ? s.writeWaiter.take() : nil)
        }
        reader?.resume(returning: nil)
        writer?.resume(throwing: StreamError.closed)
    }

    /// The reader is gone: queued bytes are dropped and the writer's pending and
    /// later writes fail.
    func closeReader() {
        let (reader, writer) = state.withLock { s in
            s.readerClosed = true
            s.chunks.removeAll()
            s.head = 0
            s.queuedBytes = 0
            return (s.readWaiter.take(), s.writeWaiter.take())
        }
        reader?.resume(returning: nil)
        writer?.resume(throwing: StreamError.closed)
    }
}
