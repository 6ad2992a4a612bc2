import LibP2PCore

/// A test waited longer than its bound: the code under test hung.
public struct TimeoutError: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "timed out after \(limit)" }
}

/// Runs `body`, failing with `TimeoutError` if it takes longer than `limit`, so that
/// no test can hang. The body is cancelled on timeout: it must suspend only on
/// cancellation-aware waits (MemoryPipe's and the concurrency kit's are).
public func withTimeout<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    do {
        return try await withDeadline(limit, "the test", body)
    } catch is DeadlineExceeded {
        throw TimeoutError(limit: limit)
    }
}

/// `withTimeout` with the bound in seconds (20 by default).
public func withTimeout<T: Sendable>(
    _ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeout(.milliseconds(Int64(seconds * 1000)), body)
}
