import DequeModule

/// Tasks parked on one condition, oldest first. It lives inside a `LockedState`'s
/// state and is only touched under that lock: `LockedState.wait(in:_:)` parks the
/// calling task here, and the `wake…` methods take waiters out, returning them as
/// `Resumption`s to be resumed *after* the lock is released (see `LockedState`).
public struct WaiterQueue<Value: Sendable>: Sendable {
    @usableFromInline
    struct Waiter: Sendable {
        @usableFromInline let id: UInt64
        /// The object the task waits on behalf of (a muxed stream), if it said so:
        /// `wakeAll(ownedBy:throwing:)` ends exactly that object's waiters.
        @usableFromInline let owner: ObjectIdentifier?
        @usableFromInline let continuation: WaiterContinuation<Value>

        @usableFromInline
        init(id: UInt64, owner: ObjectIdentifier?, continuation: WaiterContinuation<Value>) {
            self.id = id
            self.owner = owner
            self.continuation = continuation
        }
    }

    @usableFromInline var waiters = Deque<Waiter>()

    @inlinable public init() {}

    @inlinable public var count: Int { waiters.count }
    @inlinable public var isEmpty: Bool { waiters.isEmpty }

    /// Takes the oldest waiter, to be resumed with `value` once the lock is released.
    @inlinable
    public mutating func wakeFirst(returning value: Value) -> Resumption<Value>? {
        waiters.popFirst().map { Resumption($0.continuation, .success(value)) }
    }

    /// Takes the oldest waiter, to be resumed throwing `error` once the lock is released.
    @inlinable
    public mutating func wakeFirst(throwing error: any Error) -> Resumption<Value>? {
        waiters.popFirst().map { Resumption($0.continuation, .failure(error)) }
    }

    /// Takes every waiter, each to be resumed with `value` once the lock is released.
    @inlinable
    public mutating func wakeAll(returning value: Value) -> Resumptions {
        wakeAll(with: .success(value))
    }

    /// Takes every waiter, each to be resumed throwing `error` once the lock is released.
    @inlinable
    public mutating func wakeAll(throwing error: any Error) -> Resumptions {
        wakeAll(with: .failure(error))
    }

    /// Takes the waiters parked on behalf of `owner` (a stream that was reset), each to
    /// be resumed throwing `error` once the lock is released; the others keep their
    /// places.
    @inlinable
    public mutating func wakeAll(ownedBy owner: ObjectIdentifier, throwing error: any Error) -> Resumptions {
        var all = Resumptions()
        waiters.removeAll { waiter in
            guard waiter.owner == owner else { return false }
            all.append(Resumption(waiter.continuation, .failure(error)))
            return true
        }
        return all
    }

    @inlinable
    mutating func wakeAll(with result: Result<Value, any Error>) -> Resumptions {
        var all = Resumptions()
        while let waiter = waiters.popFirst() { all.append(Resumption(waiter.continuation, result)) }
        return all
    }

    @inlinable
    mutating func park(_ continuation: WaiterContinuation<Value>, id: UInt64, owner: ObjectIdentifier?) {
        waiters.append(Waiter(id: id, owner: owner, continuation: continuation))
    }

    /// Removes a waiter whose task was cancelled; nil when it was already woken
    /// (then its wake-up, not the cancellation, decides how it returns).
    @inlinable
    mutating func remove(id: UInt64) -> WaiterContinuation<Value>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }
}

#if DEBUG
/// A parked task's continuation. Debug builds (the tests) check that each is resumed
/// exactly once; release builds use the unchecked kind, whose layout is known at
/// compile time: `CheckedContinuation` is a resilient type, so every move of a
/// `Resumption` (even `nil`) cost a runtime metadata lookup, which tripled the cost
/// of an uncontended `AsyncFIFOLock` and slowed a muxer's round trip by half. The
/// kit's structure (a waiter leaves its queue exactly once, under the lock) is what
/// guarantees single resumption in both.
@usableFromInline typealias WaiterContinuation<Value: Sendable> = CheckedContinuation<Value, any Error>
#else
@usableFromInline typealias WaiterContinuation<Value: Sendable> = UnsafeContinuation<Value, any Error>
#endif

/// One parked task taken out of a `WaiterQueue`, with the outcome it will see.
/// Resume it after the lock is released; the compiler warns when one is dropped.
public struct Resumption<Value: Sendable>: Sendable {
    @usableFromInline let continuation: WaiterContinuation<Value>
    @usableFromInline let result: Result<Value, any Error>

    @usableFromInline
    init(_ continuation: WaiterContinuation<Value>, _ result: Result<Value, any Error>) {
        self.continuation = continuation
        self.result = result
    }

    @inlinable public func resume() { continuation.resume(with: result) }
}

/// Wake-ups of any value types gathered under a lock, resumed together after it is
/// released (closing a session fails its readers, writers and acceptors at once).
public struct Resumptions: Sendable {
    @usableFromInline var pending: [@Sendable () -> Void] = []

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { pending.isEmpty }

    @inlinable
    public mutating func append<Value>(_ resumption: Resumption<Value>?) {
        if let resumption { pending.append(resumption.resume) }
    }

    @inlinable
    public mutating func append(_ other: Resumptions) {
        pending.append(contentsOf: other.pending)
    }

    @inlinable
    public func resume() {
        for wake in pending { wake() }
    }
}
