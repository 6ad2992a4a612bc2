import NIOConcurrencyHelpers

/// State behind a lock that tasks can wait on: the one place in the project where
/// a task parks on a continuation. Plugins keep their state machines here and use
/// `wait(in:_:)` to park and `WaiterQueue`'s `wake…` methods to wake, so none of
/// them writes `withCheckedContinuation` or `withTaskCancellationHandler` itself.
///
/// **The rule: decide under the lock, resume after releasing it.** A task's
/// cancellation handler runs while the Swift runtime holds that task's status
/// lock, and our handler takes this lock to remove the waiter; resuming a
/// continuation also takes the resumed task's status lock. Resuming while holding
/// this lock can therefore deadlock against a concurrent cancellation (it did, in
/// mplex). So every `wake…` method returns a `Resumption` instead of resuming, and
/// `withLockThenResume` runs them once the lock is released.
///
/// The lock is NIO's `NIOLock` (a pthread mutex) rather than
/// `Synchronization.Mutex`, which ThreadSanitizer on Linux cannot see (Swift 6.3:
/// a counter under `Mutex` reports races, under a pthread mutex it runs clean).
///
/// The kit's methods are `@inlinable`, so that each caller gets them specialized for
/// its own state: run as generic code across the module boundary they looked up
/// type metadata on every call, which doubled a muxer's round trip.
public final class LockedState<State: Sendable>: Sendable {
    @usableFromInline
    struct Storage: Sendable {
        @usableFromInline var state: State
        /// Names each parked task, so that its cancellation removes it and no other.
        @usableFromInline var lastWaiterID: UInt64 = 0

        @usableFromInline init(state: State) { self.state = state }
    }

    @usableFromInline let box: NIOLockedValueBox<Storage>

    public init(_ initial: State) {
        box = NIOLockedValueBox(Storage(state: initial))
    }

    /// Runs `body` under the lock. Never resume a continuation inside it.
    @inlinable
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try box.withLockedValue { try body(&$0.state) }
    }

    /// Runs `body` under the lock, then resumes the wake-ups it returned.
    @inlinable
    public func withLockThenResume(_ body: (inout State) throws -> Resumptions) rethrows {
        try withLock(body).resume()
    }

    /// Runs `body` under the lock, then resumes the wake-up it returned, if any.
    @inlinable
    public func withLockThenResume<Value>(_ body: (inout State) throws -> Resumption<Value>?) rethrows {
        try withLock(body)?.resume()
    }

    /// Waits on the condition behind `queue`.
    ///
    /// `decide` runs under the lock and says whether the caller can go on now
    /// (`.ready(value)`), must wait (`.park`), or fails (it throws). It may run twice
    /// (once before and once after the continuation is set up); it must change the
    /// state only when it returns `.ready` or throws. Wake-ups it adds to its second
    /// argument (a read that frees room for a writer) are resumed after the lock.
    ///
    /// A parked task leaves the queue when it is woken or cancelled; cancellation
    /// throws `CancellationError` unless a wake-up got there first. `owner` tags the
    /// parked task with the object it waits for (see `WaiterQueue.wakeAll(ownedBy:throwing:)`).
    @inlinable
    public func wait<Value: Sendable>(
        in queue: QueueAccess<State, Value>,
        owner: ObjectIdentifier? = nil,
        _ decide: (inout State, inout Resumptions) throws -> WaitDecision<Value>
    ) async throws -> Value {
        var wakes = Resumptions()
        let (first, id) = try box.withLockedValue { storage -> (WaitDecision<Value>, UInt64) in
            let decision = try decide(&storage.state, &wakes)
            if case .park = decision { storage.lastWaiterID &+= 1 }
            return (decision, storage.lastWaiterID)
        }
        wakes.resume()
        if case .ready(let value) = first { return value }
        func park(_ continuation: WaiterContinuation<Value>) {
            var wakes = Resumptions()
            let outcome: Result<Value, any Error>? = box.withLockedValue { storage in
                do {
                    if case .ready(let value) = try decide(&storage.state, &wakes) { return .success(value) }
                } catch {
                    return .failure(error)
                }
                // Checked under the lock: a cancellation that came before this
                // point found no waiter to remove, so it is honoured here.
                if Task.isCancelled { return .failure(CancellationError()) }
                queue(&storage.state) { $0.park(continuation, id: id, owner: owner) }
                return nil
            }
            wakes.resume()
            if let outcome { continuation.resume(with: outcome) }
        }
        // Whoever woke us decided under this lock and resumed after releasing it, so
        // taking the lock once more on waking orders everything the waker wrote
        // before us, for ThreadSanitizer too. Without it TSan misses that order when
        // the wake-up lands between `park` releasing the lock and the task
        // suspending: the resume then only marks the continuation resumed (with a
        // TSan release) and `swift_continuation_await` goes straight on without the
        // matching TSan acquire (Swift 6.3 runtime), so TSan reported the waker's
        // writes as racing with ours (`AsyncFIFOLock` hand-overs, values passed
        // through `AsyncBoundedBuffer`). Costs one uncontended lock per park.
        defer { box.withLockedValue { _ in } }
        return try await withTaskCancellationHandler {
            #if DEBUG
            try await withCheckedThrowingContinuation(park)
            #else
            try await withUnsafeThrowingContinuation(park)
            #endif
        } onCancel: {
            let cancelled = box.withLockedValue { storage in
                var removed: WaiterContinuation<Value>?
                queue(&storage.state) { removed = $0.remove(id: id) }
                return removed
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }
}

/// How `LockedState.wait(in:_:)` reaches the queue it parks in: it hands the queue
/// to its second argument, `{ state, use in use(&state.readers) }`. A closure rather
/// than a key path: a fresh process pays 40–55 µs for its first key path and ~7 µs
/// for each new one, and every application costs more than a direct access; waits
/// sit inside the measured handshake.
public typealias QueueAccess<State, Value: Sendable> =
    @Sendable (inout State, (inout WaiterQueue<Value>) -> Void) -> Void

/// What `LockedState.wait(in:_:)`'s decision says about the waiting task.
public enum WaitDecision<Value> {
    /// Go on now with this value.
    case ready(Value)
    /// Wait in the queue until woken.
    case park
}
