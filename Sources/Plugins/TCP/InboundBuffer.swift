import LibP2PCore
import NIOCore
import Synchronization

/// The bytes a connection has received and its reader has not taken yet: a queue
/// bounded by watermarks. The event loop pushes chunks in; when the queue holds
/// `highWatermark` bytes it stops asking the socket for more (`shouldRead` turns
/// false and the withheld read is remembered); once the reader has drained it below
/// `lowWatermark`, reading resumes. That is TCP backpressure: a slow reader fills
/// the kernel's buffers and the peer's window, never our memory.
///
/// A pure state machine: the caller resumes the continuations it returns, and calls
/// `Channel.read()` when told to.
struct InboundState {
    /// How the inbound side ended: EOF drains the queue first, a failure too (then
    /// throws); a local close drops what is queued.
    enum End {
        case eof
        case failed(TCPError)
        case closedLocally
    }

    let highWatermark: Int
    let lowWatermark: Int
    private(set) var chunks = CircularBuffer<ByteBuffer>()
    private(set) var bufferedBytes = 0
    private(set) var readWithheld = false
    private(set) var end: End?
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?

    init(highWatermark: Int, lowWatermark: Int) {
        precondition(lowWatermark <= highWatermark)
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    /// Bytes arrived from the socket. Returns the waiting reader to hand them to, if any.
    mutating func receive(_ chunk: ByteBuffer) -> CheckedContinuation<ByteBuffer?, any Error>? {
        guard chunk.readableBytes > 0, end == nil else { return nil }
        if let reader = waiter {
            waiter = nil
            return reader
        }
        chunks.append(chunk)
        bufferedBytes += chunk.readableBytes
        return nil
    }

    /// The event loop wants to read from the socket: allowed while below the high
    /// watermark; otherwise the read is withheld until the reader drains the queue.
    mutating func shouldRead() -> Bool {
        if bufferedBytes >= highWatermark {
            readWithheld = true
            return false
        }
        return true
    }

    enum ReadStep {
        /// A chunk; `resumeReading` asks the caller to restart reading the socket.
        case chunk(ByteBuffer, resumeReading: Bool)
        case end
        case fail(any Error)
        /// Nothing queued: park the reader with `park(_:)`.
        case wait
    }

    /// The reader wants the next chunk.
    mutating func read() -> ReadStep {
        if let chunk = chunks.popFirst() {
            bufferedBytes -= chunk.readableBytes
            var resume = false
            if readWithheld, bufferedBytes < lowWatermark {
                readWithheld = false
                resume = true
            }
            return .chunk(chunk, resumeReading: resume)
        }
        switch end {
        case .eof?, .closedLocally?: return .end
        case .failed(let error)?: return .fail(error)
        case nil: return waiter == nil ? .wait : .fail(StreamError.concurrentRead)
        }
    }

    /// Parks the reader after `read()` said `.wait` (re-checks, since the lock was
    /// released in between). Returns the continuation back with its result if it
    /// must be resumed at once.
    mutating func park(
        _ reader: CheckedContinuation<ByteBuffer?, any Error>
    ) -> (CheckedContinuation<ByteBuffer?, any Error>, Result<ByteBuffer?, any Error>)? {
        switch read() {
        case .chunk(let chunk, _):
            // The queue was empty a moment ago, so this chunk cannot leave a withheld read.
            return (reader, .success(chunk))
        case .end: return (reader, .success(nil))
        case .fail(let error): return (reader, .failure(error))
        case .wait:
            waiter = reader
            return nil
        }
    }

    /// The reader's task was cancelled while parked.
    mutating func cancelWaiter() -> CheckedContinuation<ByteBuffer?, any Error>? {
        defer { waiter = nil }
        return waiter
    }

    /// The inbound side ended. A local close drops the queue. Returns the parked
    /// reader with what it must be resumed with.
    mutating func finish(
        _ how: End
    ) -> (CheckedContinuation<ByteBuffer?, any Error>, Result<ByteBuffer?, any Error>)? {
        switch (end, how) {
        case (nil, _), (.eof?, .closedLocally), (.failed?, .closedLocally):
            end = how
        default:
            return nil
        }
        if case .closedLocally = how {
            chunks.removeAll()
            bufferedBytes = 0
        }
        guard let reader = waiter else { return nil }
        waiter = nil
        // A parked reader means the queue was empty.
        switch how {
        case .eof, .closedLocally: return (reader, .success(nil))
        case .failed(let error): return (reader, .failure(error))
        }
    }
}

/// `InboundState` behind a lock, shared by the channel handler (event loop) and the
/// connection's reader (any task).
final class InboundBuffer: Sendable {
    private let state: Mutex<InboundState>

    init(highWatermark: Int, lowWatermark: Int) {
        state = Mutex(InboundState(highWatermark: highWatermark, lowWatermark: lowWatermark))
    }

    func receive(_ chunk: ByteBuffer) {
        // Taken out under the lock, resumed after it is released.
        let reader = state.withLock { $0.receive(chunk) }
        reader?.resume(returning: chunk)
    }

    func shouldRead() -> Bool {
        state.withLock { $0.shouldRead() }
    }

    func finish(_ how: InboundState.End) {
        if let (reader, result) = state.withLock({ $0.finish(how) }) {
            reader.resume(with: result)
        }
    }

    /// The next chunk, `nil` at the end. `resumeReading` runs when the reader has
    /// drained a full queue (it calls `Channel.read()`).
    func read(resumeReading: () -> Void) async throws -> ByteBuffer? {
        switch state.withLock({ $0.read() }) {
        case .chunk(let chunk, let resume):
            if resume { resumeReading() }
            return chunk
        case .end:
            return nil
        case .fail(let error):
            throw error
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (reader: CheckedContinuation<ByteBuffer?, any Error>) in
                // Checked under the lock: either the cancellation handler ran before (and
                // the flag is set) or it runs after and finds the parked reader.
                let immediate = state.withLock { s in
                    Task.isCancelled ? (reader, .failure(CancellationError())) : s.park(reader)
                }
                if let (reader, result) = immediate {
                    reader.resume(with: result)
                }
            }
        } onCancel: {
            let reader = state.withLock { $0.cancelWaiter() }
            reader?.resume(throwing: CancellationError())
        }
    }
}
