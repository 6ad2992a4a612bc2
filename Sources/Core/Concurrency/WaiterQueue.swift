import DequeModule

/// Tasks parked on one condition, oldest first. It lives inside a `LockedState`'s
/// state and is only touched under that lock: `LockedState.wait(in:_:)` parks the
/// calling task here, and the `wake…` methods take waiters out, returning them as
/// `Resumption`s to be resumed *after* the lock is released (see `LockedState`).
public struct WaiterQueue<Value: Sendable>: Sendable {
    struct Waiter: Sendable {
        let id: UInt64
        /// The object the task waits on behalf of (a muxed stream), if it said so:
        /// `wakeAll(ownedBy:throwing:)` ends exactly that object's waiters.
        let owner: ObjectIdentifier?
        let continuation: CheckedContinuation<Value, any Error>
    }

    private var waiters = Deque<Waiter>()

    public init() {}

    public var count: Int { waiters.count }
    public var isEmpty: Bool { waiters.isEmpty }

    /// Takes the oldest waiter, to be resumed with `value` once the lock is released.
    public mutating func wakeFirst(returning value: Value) -> Resumption<Value>? {
        waiters.popFirst().map { Resumption($0.continuation, .success(value)) }
    }

    /// Takes the oldest waiter, to be resumed throwing `error` once the lock is released.
    public mutating func wakeFirst(throwing error: any Error) -> Resumption<Value>? {
        waiters.popFirst().map { Resumption($0.continuation, .failure(error)) }
    }

    /// Takes every waiter, each to be resumed with `value` once the lock is released.
    public mutating func wakeAll(returning value: Value) -> Resumptions {
        wakeAll(with: .success(value))
    }

    /// Takes every waiter, each to be resumed throwing `error` once the lock is released.
    public mutating func wakeAll(throwing error: any Error) -> Resumptions {
        wakeAll(with: .failure(error))
    }

    /// Takes the waiters parked on behalf of `owner` (a stream that was reset), each to
    /// be resumed throwing `error` once the lock is released; the others keep their
    /// places.
    public mutating func wakeAll(ownedBy owner: ObjectIdentifier, throwing error: any Error) -> Resumptions {
        var all = Resumptions()
        waiters.removeAll { waiter in
            guard waiter.owner == owner else { return false }
            all.append(Resumption(waiter.continuation, .failure(error)))
            return true
        }
        return all
    }

    private mutating func wakeAll(with result: Result<Value, any Error>) -> Resumptions {
        var all = Resumptions()
        while let waiter = waiters.popFirst() { all.append(Resumption(waiter.continuation, result)) }
        return all
    }

    mutating func park(_ continuation: CheckedContinuation<Value, any Error>, id: UInt64, owner: ObjectIdentifier?) {
        waiters.append(Waiter(id: id, owner: owner, continuation: continuation))
    }

    /// Removes a waiter whose task was cancelled; nil when it was already woken
    /// (then its wake-up, not the cancellation, decides how it returns).
    mutating func remove(id: UInt64) -> CheckedContinuation<Value, any Error>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }
}

/// One parked task taken out of a `WaiterQueue`, with the outcome it will see.
/// Resume it after the lock is released; the compiler warns when one is dropped.
public struct Resumption<Value: Sendable>: Sendable {
    private let continuation: CheckedContinuation<Value, any Error>
    private let result: Result<Value, any Error>

    init(_ continuation: CheckedContinuation<Value, any Error>, _ result: Result<Value, any Error>) {
        self.continuation = continuation
        self.result = result
    }

    public func resume() { continuation.resume(with: result) }
}

/// Wake-ups of any value types gathered under a lock, resumed together after it is
/// released (closing a session fails its readers, writers and acceptors at once).
public struct Resumptions: Sendable {
    private var pending: [@Sendable () -> Void] = []

    public init() {}

    public var isEmpty: Bool { pending.isEmpty }

    public mutating func append<Value>(_ resumption: Resumption<Value>?) {
        if let resumption { pending.append(resumption.resume) }
    }

    public mutating func append(_ other: Resumptions) {
        pending.append(contentsOf: other.pending)
    }

    public func resume() {
        for wake in pending { wake() }
    }
}
