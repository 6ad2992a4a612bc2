import LibP2PCore
import NIOCore

/// The bytes a connection has received and its reader has not taken yet: a queue
/// bounded by watermarks. The event loop pushes chunks in; when the queue holds
/// `highWatermark` bytes it stops asking the socket for more (`shouldRead` turns
/// false and the withheld read is remembered); once the reader has drained it below
/// `lowWatermark`, reading resumes. That is TCP backpressure: a slow reader fills
/// the kernel's buffers and the peer's window, never our memory.
///
/// A pure state machine: it hands back the wake-ups of its parked reader for the
/// caller to resume after the lock, and says when to call `Channel.read()`.
package struct InboundState: Sendable {
    /// How the inbound side ended: EOF drains the queue first, a failure too (then
    /// throws); a local close drops what is queued.
    package enum End: Sendable {
        case eof
        case failed(TCPError)
        case closedLocally
    }

    package let highWatermark: Int
    package let lowWatermark: Int
    package private(set) var chunks = CircularBuffer<ByteBuffer>()
    package private(set) var bufferedBytes = 0
    package private(set) var readWithheld = false
    package private(set) var end: End?
    /// The parked reader (one at most: a second concurrent read fails).
    package var readers = WaiterQueue<ByteBuffer?>()

    package init(highWatermark: Int, lowWatermark: Int) {
        precondition(lowWatermark <= highWatermark)
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    /// Bytes arrived from the socket; a parked reader takes them directly.
    package mutating func receive(_ chunk: ByteBuffer) -> Resumption<ByteBuffer?>? {
        guard chunk.readableBytes > 0, end == nil else { return nil }
        if let reader = readers.wakeFirst(returning: chunk) { return reader }
        chunks.append(chunk)
        bufferedBytes += chunk.readableBytes
        return nil
    }

    /// The event loop wants to read from the socket: allowed while below the high
    /// watermark; otherwise the read is withheld until the reader drains the queue.
    package mutating func shouldRead() -> Bool {
        if bufferedBytes >= highWatermark {
            readWithheld = true
            return false
        }
        return true
    }

    package enum ReadStep {
        /// A chunk; `resumeReading` asks the caller to restart reading the socket.
        case chunk(ByteBuffer, resumeReading: Bool)
        case end
        case fail(any Error)
        /// Nothing queued: the reader parks.
        case wait
    }

    /// The reader wants the next chunk.
    package mutating func read() -> ReadStep {
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
        case nil: return readers.isEmpty ? .wait : .fail(StreamError.concurrentRead)
        }
    }

    /// The inbound side ended. A local close drops the queue. Returns the parked
    /// reader's wake-up (a parked reader means the queue was empty).
    package mutating func finish(_ how: End) -> Resumptions {
        switch (end, how) {
        case (nil, _), (.eof?, .closedLocally), (.failed?, .closedLocally):
            end = how
        default:
            return Resumptions()
        }
        if case .closedLocally = how {
            chunks.removeAll()
            bufferedBytes = 0
        }
        switch how {
        case .eof, .closedLocally: return readers.wakeAll(returning: nil)
        case .failed(let error): return readers.wakeAll(throwing: error)
        }
    }
}

/// `InboundState` behind a lock, shared by the channel handler (event loop) and the
/// connection's reader (any task).
package final class InboundBuffer: Sendable {
    private let state: LockedState<InboundState>

    package init(highWatermark: Int, lowWatermark: Int) {
        state = LockedState(InboundState(highWatermark: highWatermark, lowWatermark: lowWatermark))
    }

    package func receive(_ chunk: ByteBuffer) {
        state.withLockThenResume { $0.receive(chunk) }
    }

    package func shouldRead() -> Bool {
        state.withLock { $0.shouldRead() }
    }

    package func finish(_ how: InboundState.End) {
        state.withLockThenResume { $0.finish(how) }
    }

    /// The next chunk, `nil` at the end. `resumeReading` runs when the reader has
    /// drained a full queue (it calls `Channel.read()`).
    package func read(resumeReading: () -> Void) async throws -> ByteBuffer? {
        var resume = false
        let chunk = try await state.wait(in: { s, use in use(&s.readers) }) { s, _ in
            switch s.read() {
            case .chunk(let chunk, let resumeReading):
                resume = resumeReading
                return .ready(chunk)
            case .end: return .ready(nil)
            case .fail(let error): throw error
            case .wait: return .park
            }
        }
        if resume { resumeReading() }
        return chunk
    }
}
