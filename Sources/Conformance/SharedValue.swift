import LibP2PCore

/// A value several tasks of one check read and update (progress counters, outcomes).
final class SharedValue<Value: Sendable>: Sendable {
    private let storage: LockedState<Value>

    init(_ value: Value) { storage = LockedState(value) }

    var value: Value { storage.withLock { $0 } }

    func set(_ value: Value) { storage.withLock { $0 = value } }

    func update<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}

/// A result that arrives once and that any number of tasks can wait for.
final class OneShot<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var value: Value?
        var waiters = WaiterQueue<Value>()
    }

    private let state = LockedState(State())

    init() {}

    /// Sets the value (the first call wins) and wakes every waiter.
    func fulfil(_ value: Value) {
        state.withLockThenResume { s in
            guard s.value == nil else { return Resumptions() }
            s.value = value
            return s.waiters.wakeAll(returning: value)
        }
    }

    /// The value if it has arrived.
    var current: Value? { state.withLock { $0.value } }

    /// Waits for the value; `nil` if the waiting task is cancelled first.
    func wait() async -> Value? {
        try? await state.wait(in: \.waiters) { s, _ in s.value.map { .ready($0) } ?? .park }
    }
}
