import NIOConcurrencyHelpers

/// A value set once and awaited by any number of tasks (an identify result, a
/// "go" signal). Waiting is cancellable; a cancelled waiter gets `nil`.
///
/// Decisions are taken under the lock and continuations resumed after it is
/// released: a cancellation handler takes the same lock, and resuming inside it
/// can deadlock. (A small stand-in until the Core concurrency kit lands.)
final class Latch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The value, if it is set.
    var current: Value? { state.withLockedValue { $0.value } }

    /// Sets the value once; later calls are ignored. Returns whether this call set it.
    @discardableResult
    func set(_ value: Value) -> Bool {
        let woken: [CheckedContinuation<Value?, Never>]? = state.withLockedValue { s in
            guard s.value == nil else { return nil }
            s.value = value
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        guard let woken else { return false }
        for waiter in woken { waiter.resume(returning: value) }
        return true
    }

    /// The value once it is set; `nil` if the waiting task is cancelled first.
    func wait() async -> Value? {
        let id = state.withLockedValue { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Value?, Never>) in
                let immediate: Value?? = state.withLockedValue { s in
                    if let value = s.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters[id] = waiter
                    return .none
                }
                if let immediate { waiter.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
