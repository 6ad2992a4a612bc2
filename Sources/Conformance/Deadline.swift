import LibP2PCore

/// Runs `body`, racing it against a sleep of `limit` in a task group. When the sleep
/// wins, `onTimeout` runs first (it closes the pipes and sessions under test, which
/// wakes waits that do not honour cancellation), then `body` is cancelled and the
/// returned error is a `ConformanceFailure` naming `what` or else the step that was
/// last started.
///
/// Every wait in the suites is inside one of these, so no check can hang: a plugin
/// that never answers fails with the step it was stuck in. (A body that neither
/// honours cancellation nor wakes when its streams are closed would still keep the
/// task group waiting; nothing in a task group can abandon a child.)
func withDeadline<T: Sendable>(
    _ limit: Duration, _ context: CheckContext, what: @autoclosure @escaping @Sendable () -> String? = nil,
    onTimeout: @escaping @Sendable () async -> Void = {},
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .finished(try await body()) }
        group.addTask {
            try await cancellableSleep(for: limit)
            return .timedOut
        }
        defer { group.cancelAll() }
        switch try await group.next()! {
        case .finished(let value):
            return value
        case .timedOut:
            // Steps of concurrent tasks share one note: name the awaited operation if known.
            let stuck = context.stepInProgress
            await onTimeout()
            if let what = what() { throw context.failure("\(what) did not finish within \(limit)") }
            throw context.failure("did not finish within \(limit); the last step started: \(stuck)")
        }
    }
}

private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case timedOut
}

/// Gives tasks just started a moment to reach their waits, so a check exercises
/// "pending" operations rather than ones that start after the event. Correctness
/// never depends on it: an operation that starts late must see the same result.
func letPendingOperationsPark() async throws {
    for _ in 0..<10 { await Task.yield() }
    try await Task.sleep(for: .milliseconds(20))
}

extension ThrowingTaskGroup where ChildTaskResult == Void {
    /// Waits for every child; the first error cancels the others and is rethrown.
    /// (`waitForAll()` would wait for the others first, and a writer whose reader
    /// failed can wait forever.)
    mutating func awaitAll() async throws {
        do {
            while try await next() != nil {}
        } catch {
            cancelAll()
            throw error
        }
    }
}
