import Synchronization

/// A value several tasks of one check read and update (progress counters, outcomes).
final class SharedValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value { storage.withLock { $0 } }

    func set(_ value: Value) { storage.withLock { $0 = value } }

    func update<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}

/// A result that arrives once and that any number of tasks can wait for.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Sets the value (the first call wins) and wakes every waiter.
    func fulfil(_ value: Value) {
        let waiters = state.withLock { s -> [CheckedContinuation<Value?, Never>] in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value if it has arrived.
    var current: Value? { state.withLock { $0.value } }

    /// Waits for the value; `nil` if the waiting task is cancelled first.
    func wait() async -> Value? {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let now: WaitStart<Value> = state.withLock { s in
                    if let value = s.value { return .value(value) }
                    if Task.isCancelled { return .cancelled }
                    s.waiters[id] = continuation
                    return .parked
                }
                switch now {
                case .value(let value): continuation.resume(returning: value)
                case .cancelled: continuation.resume(returning: nil)
                case .parked: break
                }
            }
        } onCancel: {
            // Taken out under the lock, resumed after it is released.
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}

private enum WaitStart<Value> {
    case value(Value)
    case cancelled
    case parked
}
