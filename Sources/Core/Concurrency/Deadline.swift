/// Runs `operation`, failing with `DeadlineExceeded` once `limit` has passed.
/// The operation is cancelled then; everything it awaits must honour cancellation
/// (or be bounded on its own) for this to return promptly.
///
/// The timer is a `cancellableSleep`, not `Task.sleep`: nearly every deadline loses
/// the race, and a cancelled `Task.sleep` keeps its timer queued until the limit.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await cancellableSleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what, limit: limit)
        }
        return value
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration
    public var description: String { "\(what) did not finish within \(limit)" }
}
