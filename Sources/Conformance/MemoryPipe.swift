import LibP2PCore
import NIOCore
import DequeModule

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
    private struct State: Sendable {
        var chunks = Deque<ByteBuffer>()
        var queuedBytes = 0
        var writerClosed = false
        /// This end was closed outright: a write still waiting for room fails.
        var writerAborted = false
        var readerClosed = false
        var readers = WaiterQueue<ByteBuffer?>()
        var writers = WaiterQueue<Void>()

        /// The oldest chunk; a writer waiting for room goes on once there is some.
        mutating func popChunk(capacity: Int, waking wakes: inout Resumptions) -> ByteBuffer? {
            guard let chunk = chunks.popFirst() else { return nil }
            queuedBytes -= chunk.readableBytes
            if queuedBytes < capacity { wakes.append(writers.wakeAll(returning: ())) }
            return chunk
        }
    }

    let capacity: Int
    private let state = LockedState(State())

    init(capacity: Int) { self.capacity = capacity }

    var queuedBytes: Int { state.withLock { $0.queuedBytes } }

    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        let (mustWait, reader) = try state.withLock { s -> (Bool, Resumption<ByteBuffer?>?) in
            guard !s.writerClosed, !s.readerClosed else { throw StreamError.closed }
            if let reader = s.readers.wakeFirst(returning: buffer) { return (false, reader) }
            s.chunks.append(buffer)
            s.queuedBytes += buffer.readableBytes
            return (s.queuedBytes >= capacity, nil)
        }
        reader?.resume()
        guard mustWait else { return }
        try await state.wait(in: { s, use in use(&s.writers) }) { s, _ in
            if s.readerClosed || s.writerAborted { throw StreamError.closed }
            return s.queuedBytes < capacity ? .ready(()) : .park
        }
    }

    func read() async throws -> ByteBuffer? {
        try await state.wait(in: { s, use in use(&s.readers) }) { s, wakes in
            if let chunk = s.popChunk(capacity: capacity, waking: &wakes) { return .ready(chunk) }
            if s.writerClosed || s.readerClosed { return .ready(nil) }
            if !s.readers.isEmpty { throw StreamError.concurrentRead }
            return .park
        }
    }

    /// The writer is done: the reader drains what is queued, then sees end of stream.
    /// A half-close leaves a write that is waiting for room waiting (its bytes are
    /// queued and the reader may still take them); a full close of the writing end
    /// (`failingPendingWrite`) fails it, so `close()` never leaves a writer hanging.
    func closeWriter(failingPendingWrite: Bool = false) {
        state.withLockThenResume { s in
            s.writerClosed = true
            if failingPendingWrite { s.writerAborted = true }
            var wakes = s.readers.wakeAll(returning: nil)
            if failingPendingWrite { wakes.append(s.writers.wakeAll(throwing: StreamError.closed)) }
            return wakes
        }
    }

    /// The reader is gone: queued bytes are dropped and the writer's pending and
    /// later writes fail.
    func closeReader() {
        state.withLockThenResume { s in
            s.readerClosed = true
            s.chunks.removeAll()
            s.queuedBytes = 0
            var wakes = s.readers.wakeAll(returning: nil)
            wakes.append(s.writers.wakeAll(throwing: StreamError.closed))
            return wakes
        }
    }
}
