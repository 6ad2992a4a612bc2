import NIOCore
import Synchronization

/// Frames the read loop must send but must not wait for: ping answers and resets of
/// refused streams. If the read loop wrote them itself, a peer that stops reading
/// while we answer its pings could stall our read loop, and with it the peer's own
/// writes: both sides stuck. Instead the read loop queues them here (never
/// suspending) and the session's control writer sends whatever has piled up in one
/// write. The queue is bounded: a peer that keeps sending pings or SYNs without
/// reading our answers is cut off.
final class ControlFrameQueue: Sendable {
    private struct State {
        var pending = ByteBuffer()
        var frameCount = 0
        var finished = false
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Queues one frame; false when `limit` frames are already waiting (or the queue
    /// is finished): the caller treats that as the peer misbehaving.
    func push(_ header: YamuxFrameHeader) -> Bool {
        enum Outcome { case refused, queued, deliver(CheckedContinuation<ByteBuffer?, Never>) }
        let outcome: Outcome = state.withLock { s in
            guard !s.finished, s.frameCount < limit else { return .refused }
            if let waiter = s.waiter.take() {
                return .deliver(waiter)
            }
            header.encode(into: &s.pending)
            s.frameCount += 1
            return .queued
        }
        switch outcome {
        case .refused: return false
        case .queued: return true
        case .deliver(let waiter):
            // Resumed after the lock is released (see DEADLOCK.md).
            waiter.resume(returning: header.encoded)
            return true
        }
    }

    /// Everything queued so far, as one buffer; suspends while nothing is queued;
    /// `nil` once finished. One consumer at a time.
    func next() async -> ByteBuffer? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                // Decide under the lock, resume after releasing it (see DEADLOCK.md).
                enum Outcome { case parked, ready(ByteBuffer?) }
                let outcome: Outcome = state.withLock { s in
                    if s.frameCount > 0 {
                        let batch = s.pending
                        s.pending = ByteBuffer()
                        s.frameCount = 0
                        return .ready(batch)
                    } else if s.finished || Task.isCancelled {
                        return .ready(nil)
                    } else {
                        s.waiter = continuation
                        return .parked
                    }
                }
                if case .ready(let batch) = outcome { continuation.resume(returning: batch) }
            }
        } onCancel: {
            let cancelled = state.withLock { $0.waiter.take() }
            cancelled?.resume(returning: nil)
        }
    }

    /// No more frames: `next()` returns `nil`, queued frames are dropped.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<ByteBuffer?, Never>? in
            s.finished = true
            s.pending = ByteBuffer()
            s.frameCount = 0
            return s.waiter.take()
        }
        waiter?.resume(returning: nil)
    }
}
