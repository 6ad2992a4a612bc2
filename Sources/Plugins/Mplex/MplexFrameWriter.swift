import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization

/// Puts frames on the underlying stream one at a time, each in a single `write`.
///
/// Two ways in:
/// - `write(_:owner:check:)` for frames whose sender waits (data, NewStream, Close
///   after `closeWrite`): a FIFO lock, so the caller writes directly, in arrival order,
///   and feels the underlying stream's backpressure. `check` runs once the lock is held,
///   so a frame of a stream that was reset or closed meanwhile is never sent.
/// - `enqueueControl(_:)` for Reset and `close()`'s Close frames, which must never
///   block (the read loop sends them, and a reset must not wait for a slow peer): they
///   are queued, bounded, and written by `runControlFlusher()`, which takes the same
///   lock, so they stay ordered after every frame already written.
///
/// A failed underlying write breaks the connection: a frame may be half written and
/// the framing is lost. The writer then fails every waiter and every later call, and
/// closes the underlying stream so the session's read loop ends too.
final class MplexFrameWriter: Sendable {
    private struct Waiter {
        let ticket: UInt64
        let owner: MplexStreamKey?
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var locked = false
        var waiters: [Waiter] = []
        var nextTicket: UInt64 = 0
        var control: [ByteBuffer] = []
        var flusher: CheckedContinuation<Bool, Never>?
        /// Set once: the session ended or a write failed.
        var failure: (any Error)?
    }

    private let output: any ByteStream
    private let controlLimit: Int
    private let state = Mutex(State())

    init(output: any ByteStream, controlLimit: Int) {
        self.output = output
        self.controlLimit = controlLimit
    }

    /// The error that broke a write, if one did (not set by `shutDown`).
    var writeFailure: (any Error)? {
        state.withLock { s in (s.failure as? BrokenConnection)?.underlying }
    }

    // MARK: Waited frames

    func write(_ frame: ByteBuffer, owner: MplexStreamKey?, check: () throws -> Void = {}) async throws {
        try await acquire(owner: owner)
        defer { release() }
        try check()
        try Task.checkCancellation()
        try await writeHoldingLock(frame)
    }

    // MARK: Control frames

    /// Queues a frame to be written soon without waiting. Throws when the peer lets
    /// too many pile up (it is not reading): the session must end.
    func enqueueControl(_ frame: ByteBuffer) throws(MuxerError) {
        // The flusher is resumed after the lock is released (see `shutDown`).
        let (accepted, flusher): (Bool, CheckedContinuation<Bool, Never>?) = state.withLock { s in
            guard s.failure == nil else { return (true, nil) }
            guard s.control.count < controlLimit else { return (false, nil) }
            s.control.append(frame)
            return (true, s.flusher.take())
        }
        flusher?.resume(returning: true)
        if !accepted {
            throw .protocolViolation("peer is not reading: over \(controlLimit) reset/close frames are waiting to be sent")
        }
    }

    /// Writes queued control frames until the writer is shut down or the task cancelled.
    func runControlFlusher() async {
        while await waitForControlFrames() {
            do {
                try await acquire(owner: nil)
            } catch {
                return
            }
            defer { release() }
            // Frames queued while these are written are taken by the next round.
            while true {
                let batch = state.withLock { s in
                    defer { s.control = [] }
                    return s.control
                }
                if batch.isEmpty { break }
                for frame in batch {
                    do {
                        try await writeHoldingLock(frame)
                    } catch {
                        return
                    }
                }
            }
        }
    }

    private func waitForControlFrames() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // nil: parked. Resumed only once the lock is released.
                let immediate: Bool? = state.withLock { s in
                    if s.failure != nil || Task.isCancelled {
                        return false
                    } else if !s.control.isEmpty {
                        return true
                    } else {
                        s.flusher = continuation
                        return nil
                    }
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { s in s.flusher.take() }?.resume(returning: false)
        }
    }

    // MARK: Failing waiters

    /// Fails the queued (not yet writing) frames of one stream, e.g. after a reset.
    func failWaiters(of owner: MplexStreamKey, with error: any Error) {
        let failed: [Waiter] = state.withLock { s in
            let failed = s.waiters.filter { $0.owner == owner }
            s.waiters.removeAll { $0.owner == owner }
            return failed
        }
        for waiter in failed { waiter.continuation.resume(throwing: error) }
    }

    /// The session is over: every waiting and later write fails with `error`. Returns
    /// false if it was already over.
    ///
    /// Continuations are taken out under the lock and resumed after it is released:
    /// resuming one takes its task's status lock, which a cancellation handler holds
    /// while it waits for this lock (ABBA deadlock otherwise).
    @discardableResult
    func shutDown(_ error: any Error) -> Bool {
        let taken: (flusher: CheckedContinuation<Bool, Never>?, waiters: [Waiter])? = state.withLock { s in
            guard s.failure == nil else { return nil }
            s.failure = error
            s.control.removeAll()
            let flusher = s.flusher.take()
            let waiters = s.waiters
            s.waiters.removeAll()
            return (flusher, waiters)
        }
        guard let taken else { return false }
        taken.flusher?.resume(returning: false)
        for waiter in taken.waiters { waiter.continuation.resume(throwing: Self.reported(error)) }
        return true
    }

    // MARK: The lock

    private func acquire(owner: MplexStreamKey?) async throws {
        let ticket: UInt64? = try state.withLock { s in
            if let failure = s.failure { throw Self.reported(failure) }
            if !s.locked {
                s.locked = true
                return nil
            }
            s.nextTicket += 1
            return s.nextTicket
        }
        guard let ticket else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // nil: parked. Resumed only once the lock is released.
                let immediate: Result<Void, any Error>? = state.withLock { s in
                    if let failure = s.failure {
                        return .failure(Self.reported(failure))
                    } else if !s.locked {
                        s.locked = true
                        return .success(())
                    } else if Task.isCancelled {
                        return .failure(CancellationError())
                    } else {
                        s.waiters.append(Waiter(ticket: ticket, owner: owner, continuation: continuation))
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let cancelled: CheckedContinuation<Void, any Error>? = state.withLock { s in
                guard let index = s.waiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Hands the lock to the longest waiter, or frees it.
    private func release() {
        let next: Waiter? = state.withLock { s in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume()
    }

    private func writeHoldingLock(_ frame: ByteBuffer) async throws {
        do {
            try await output.write(frame)
        } catch {
            // If the session had already ended (and closed the stream under this
            // write), say so rather than how the stream below failed.
            guard shutDown(BrokenConnection(underlying: error)) else { throw MuxerError.connectionClosed }
            await output.close()
            throw error
        }
    }

    /// What waiters see after a write broke the connection.
    private static func reported(_ failure: any Error) -> any Error {
        failure is BrokenConnection ? MuxerError.connectionClosed : failure
    }
}

/// Marks the writer's failure as caused by a failed write (as opposed to a shutdown).
private struct BrokenConnection: Error {
    let underlying: any Error
}
