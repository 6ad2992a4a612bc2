import DequeModule
import Foundation

/// Runs async code to completion from libFuzzer's synchronous callback, on the
/// callback's own thread: the body's task prefers `FuzzThreadExecutor`, whose jobs
/// this thread runs until the body returns. One thread and no hand-offs keep each
/// input fast and its schedule nearly deterministic; the body uses task groups for its
/// concurrency, so nothing it started outlives the input. A body that has not
/// finished within `limit` (it waits for something that never comes) is a hang,
/// reported as a crash so libFuzzer saves the input; one that never yields is caught
/// by libFuzzer's own `-timeout`.
enum Blocking {
    static let executor = FuzzThreadExecutor()

    static func run(_ what: String, limit: Duration = .seconds(5), _ body: @escaping @Sendable () async throws -> Void) {
        let finished = FuzzThreadExecutor.Flag()
        Task(executorPreference: executor) {
            do { try await body() } catch {
                // Bad input: the parser's error is the expected outcome.
            }
            executor.finish(finished)
        }
        guard executor.runJobs(until: finished, limit: limit) else { fatalError("hang: \(what) did not finish within \(limit)") }
    }
}

/// A task executor whose jobs run on whichever thread calls `runJobs`. Jobs may be
/// enqueued from any thread (a timer, a continuation resumed elsewhere).
final class FuzzThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// Set by the body's task when it is done (through `finish`, under the
    /// executor's lock); read by the thread running jobs.
    final class Flag: @unchecked Sendable {
        fileprivate var isSet = false
    }

    private let condition = NSCondition()
    private var jobs = Deque<UnownedJob>()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Marks `flag` and wakes the thread running jobs: the body's last step may run
    /// on another executor (code isolated elsewhere), so this is not always a job of ours.
    func finish(_ flag: Flag) {
        condition.lock()
        flag.isSet = true
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs until `flag` is set and none is left; false if `limit` passed first.
    func runJobs(until flag: Flag, limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            condition.lock()
            while jobs.isEmpty {
                if flag.isSet {
                    condition.unlock()
                    return true
                }
                if ContinuousClock.now >= deadline {
                    condition.unlock()
                    return false
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
