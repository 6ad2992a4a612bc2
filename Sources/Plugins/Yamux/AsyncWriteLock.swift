import Synchronization

/// A fair (FIFO) async mutex for the session's frame writes: the stream below allows
/// one writer at a time, and frames must never interleave. An uncontended acquire
/// does not suspend. The holder hands the lock straight to the next waiter, so
/// writers are served in arrival order and none starves.
///
/// `shutDown(_:)` fails every waiter and every later `acquire()` so that pending
/// writes end promptly when the session ends; the session's own final frame (a go
/// away) can still take the lock with `acquire(evenAfterShutdown: true)`.
final class AsyncWriteLock: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var locked = false
        var waiters = FIFOQueue<Waiter>()
        var nextWaiterID: UInt64 = 0
        var failure: (any Error)?
    }

    private let state = Mutex(State())

    /// Takes the lock, suspending behind earlier waiters. Throws the shutdown error,
    /// or `CancellationError` if the task is cancelled while waiting.
    func acquire(evenAfterShutdown: Bool = false) async throws {
        enum Step { case acquired, wait(UInt64) }
        let step: Step = try state.withLock { s in
            if let failure = s.failure, !evenAfterShutdown { throw failure }
            if !s.locked {
                s.locked = true
                return .acquired
            }
            s.nextWaiterID += 1
            return .wait(s.nextWaiterID)
        }
        guard case .wait(let id) = step else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decide under the lock, resume after releasing it (see DEADLOCK.md).
                enum Outcome { case parked, acquired, fail(any Error) }
                let outcome: Outcome = state.withLock { s in
                    if Task.isCancelled {
                        return .fail(CancellationError())
                    } else if let failure = s.failure, !evenAfterShutdown {
                        return .fail(failure)
                    } else if !s.locked {
                        s.locked = true
                        return .acquired
                    } else {
                        s.waiters.append(Waiter(id: id, continuation: continuation))
                        return .parked
                    }
                }
                switch outcome {
                case .parked: break
                case .acquired: continuation.resume()
                case .fail(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let cancelled = state.withLock { s in
                s.waiters.removeFirst(where: { $0.id == id })
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Tasks queued behind the holder.
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Releases the lock, handing it to the longest waiter if there is one.
    func release() {
        let next = state.withLock { s -> Waiter? in
            precondition(s.locked, "AsyncWriteLock released while not held")
            if let next = s.waiters.popFirst() {
                return next  // the lock stays held: ownership passes on
            }
            s.locked = false
            return nil
        }
        next?.continuation.resume()
    }

    /// Fails every waiter and every later `acquire()` with `error`. The current holder
    /// keeps the lock until it releases it. Idempotent: the first error wins.
    func shutDown(_ error: any Error) {
        let waiters: [Waiter] = state.withLock { s in
            if s.failure == nil { s.failure = error }
            return s.waiters.removeAll()
        }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
    }

    /// Runs `body` holding the lock.
    func withLock<T: Sendable>(evenAfterShutdown: Bool = false, _ body: () async throws -> T) async throws -> T {
        try await acquire(evenAfterShutdown: evenAfterShutdown)
        defer { release() }
        return try await body()
    }
}
