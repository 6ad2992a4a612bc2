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

    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        let mustWait: Bool = try state.withLock { s in
            guard !s.writerClosed, !s.readerClosed else { throw StreamError.closed }
            if let reader = s.readWaiter {
                s.readWaiter = nil
                reader.resume(returning: buffer)
                return false
            }
            s.chunks.append(buffer)
            s.queuedBytes += buffer.readableBytes
            return s.queuedBytes >= capacity
        }
        guard mustWait else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { s in
                    if s.readerClosed || s.writerAborted {
                        continuation.resume(throwing: StreamError.closed)
                    } else if s.queuedBytes < capacity {
                        continuation.resume()
                    } else if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        s.writeWaiter = continuation
                    }
                }
            }
        } onCancel: {
            state.withLock { s in
                s.writeWaiter.take()?.resume(throwing: CancellationError())
            }
        }
    }

    func read() async throws -> ByteBuffer? {
        enum Step { case chunk(ByteBuffer), end, wait }
        let step: Step = try state.withLock { s in
            if let chunk = s.popChunk() {
                if s.queuedBytes < capacity { s.writeWaiter.take()?.resume() }
                return .chunk(chunk)
            }
            if s.writerClosed || s.readerClosed { return .end }
            if s.readWaiter != nil { throw StreamError.concurrentRead }
            return .wait
        }
        switch step {
        case .chunk(let chunk): return chunk
        case .end: return nil
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                state.withLock { s in
                    if let chunk = s.popChunk() {
                        if s.queuedBytes < capacity { s.writeWaiter.take()?.resume() }
                        continuation.resume(returning: chunk)
                    } else if s.writerClosed || s.readerClosed {
                        continuation.resume(returning: nil)
                    } else if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        s.readWaiter = continuation
                    }
                }
            }
        } onCancel: {
            state.withLock { s in
                s.readWaiter.take()?.resume(throwing: CancellationError())
            }
        }
    }

    /// The writer is done: the reader drains what is queued, then sees end of stream.
    /// A half-close leaves a write that is waiting for room waiting (its bytes are
    /// queued and the reader may still take them); a full close of the writing end
    /// (`failingPendingWrite`) fails it, so `close()` never leaves a writer hanging.
    func closeWriter(failingPendingWrite: Bool = false) {
        state.withLock { s in
            s.writerClosed = true
            s.readWaiter.take()?.resume(returning: nil)
            if failingPendingWrite {
                s.writerAborted = true
                s.writeWaiter.take()?.resume(throwing: StreamError.closed)
            }
        }
    }

    /// The reader is gone: queued bytes are dropped and the writer's pending and
    /// later writes fail.
    func closeReader() {
        state.withLock { s in
            s.readerClosed = true
            s.chunks.removeAll()
            s.head = 0
            s.queuedBytes = 0
            s.readWaiter.take()?.resume(returning: nil)
            s.writeWaiter.take()?.resume(throwing: StreamError.closed)
        }
    }
}
