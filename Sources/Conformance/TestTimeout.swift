/// A test waited longer than its bound: the code under test hung.
public struct TimeoutError: Error, CustomStringConvertible {
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s" }
}

/// Runs `body`, failing with `TimeoutError` if it takes longer than `seconds`, so
/// that no test can hang. The body is cancelled on timeout: it must suspend only
/// on cancellation-aware waits (MemoryPipe's reads and writes are).
public func withTimeout<T: Sendable>(
    _ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimeoutError(seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
