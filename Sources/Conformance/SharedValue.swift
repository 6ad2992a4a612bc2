import LibP2PCore

/// A value several tasks of one check read and update (progress counters, outcomes).
final class SharedValue<Value: Sendable>: Sendable {
    private let storage: LockedState<Value>

    init(_ value: Value) { storage = LockedState(value) }

    var value: Value { storage.withLock { $0 } }

    func set(_ value: Value) { storage.withLock { $0 = value } }

    func update<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}
