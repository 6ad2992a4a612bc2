import Dispatch
import LibP2PCore
import NIOConcurrencyHelpers

/// Runs async code to completion from libFuzzer's synchronous callback. The body runs
/// in one task that the callback waits for, so nothing it started outlives the input
/// (bodies use task groups for their concurrency). A body that has not finished
/// within `limit` is a hang, reported as a crash so libFuzzer saves the input.
enum Blocking {
    static func run(_ what: String, limit: Duration = .seconds(5), _ body: @escaping @Sendable () async throws -> Void) {
        let finished = DispatchSemaphore(value: 0)
        let hang = NIOLockedValueBox<String?>(nil)
        Task {
            do {
                try await withDeadline(limit, what, body)
            } catch let error as DeadlineExceeded {
                hang.withLockedValue { $0 = error.description }
            } catch {
                // Bad input: the parser's error is the expected outcome.
            }
            finished.signal()
        }
        finished.wait()
        if let hang = hang.withLockedValue({ $0 }) { fatalError("hang: \(hang)") }
    }
}
