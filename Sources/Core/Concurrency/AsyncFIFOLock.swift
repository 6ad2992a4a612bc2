/// A fair async mutex: tasks take it in arrival order and the holder hands it
/// straight to the next waiter, so none starves. An uncontended `lock()` does not
/// suspend. Used where frames must never interleave on the stream below.
///
/// `fail(_:)` fails every waiter and every later `lock()`, so that pending writers
/// end promptly when their session ends; a session's final frame (a go away) can
/// still take it with `lock(evenAfterFailure: true)`.
public final class AsyncFIFOLock: Sendable {
    @usableFromInline
    struct State: Sendable {
        @usableFromInline var held = false
        @usableFromInline var waiters = WaiterQueue<Void>()
        @usableFromInline var failure: (any Error)?

        @usableFromInline init() {}
    }

    // Inlinable, like `LockedState`: a lock taken for every frame a muxer writes
    // should be specialized in its callers, not run as generic code.
    @usableFromInline let state = LockedState(State())

    public init() {}

    /// Takes the lock, suspending behind earlier waiters. Throws the failure set by
    /// `fail(_:)` (or by `fail(waitersOwnedBy:with:)` for this `owner`), or
    /// `CancellationError` if the task is cancelled while waiting.
    @inlinable
    public func lock(owner: ObjectIdentifier? = nil, evenAfterFailure: Bool = false) async throws {
        try await state.wait(in: { s, use in use(&s.waiters) }, owner: owner) { s, _ in
            if let failure = s.failure, !evenAfterFailure { throw failure }
            guard !s.held else { return .park }
            s.held = true
            return .ready(())
        }
    }

    /// Releases the lock, handing it to the oldest waiter if there is one.
    @inlinable
    public func unlock() {
        state.withLockThenResume { s -> Resumption<Void>? in
            precondition(s.held, "AsyncFIFOLock unlocked while not held")
            guard let next = s.waiters.wakeFirst(returning: ()) else {
                s.held = false
                return nil
            }
            return next  // still held: ownership passes to `next`
        }
    }

    /// Tasks queued behind the holder.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Fails the waiters that called `lock(owner:)` with `owner` (the writes of a
    /// stream that was just reset), without failing the lock: the others keep their
    /// places and later `lock()` calls go on as usual.
    public func fail(waitersOwnedBy owner: ObjectIdentifier, with error: any Error) {
        state.withLockThenResume { $0.waiters.wakeAll(ownedBy: owner, throwing: error) }
    }

    /// Fails every waiter and every later `lock()` with `error`; the holder keeps
    /// the lock until it unlocks. The first failure wins.
    public func fail(_ error: any Error) {
        state.withLockThenResume { s in
            if s.failure == nil { s.failure = error }
            return s.waiters.wakeAll(throwing: s.failure!)
        }
    }
}
