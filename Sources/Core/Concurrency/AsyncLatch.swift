/// A value set once and awaited by any number of tasks (an identify result, a
/// check's outcome, a "go" signal). Waiting is cancellable: a cancelled waiter
/// gets `nil`.
public final class AsyncLatch<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var value: Value?
        var waiters = WaiterQueue<Value>()
    }

    private let state = LockedState(State())

    public init() {}

    /// The value, if it is set.
    public var current: Value? { state.withLock { $0.value } }

    /// Sets the value once and wakes every waiter; later calls change nothing.
    /// Returns whether this call set it.
    @discardableResult
    public func set(_ value: Value) -> Bool {
        var didSet = false
        state.withLockThenResume { s in
            guard s.value == nil else { return Resumptions() }
            s.value = value
            didSet = true
            return s.waiters.wakeAll(returning: value)
        }
        return didSet
    }

    /// The value once it is set; `nil` if the waiting task is cancelled first.
    public func wait() async -> Value? {
        try? await state.wait(in: { s, use in use(&s.waiters) }) { s, _ in s.value.map { .ready($0) } ?? .park }
    }
}
