import LibP2PCore
import NIOCore
import NIOPosix

/// Runs Swift tasks on one NIO event loop. When the tasks that drive a connection
/// prefer this executor (`withTaskExecutorPreference`), a read resumes on the
/// thread that received the bytes and a write is handed to the socket on that same
/// thread: no thread switch per message, which on a handshake of several round
/// trips is most of the latency.
///
/// It also keeps one connection from starving the others on its loop: it starts a
/// `LoopTurn` for each job, and a task that has had the thread too long waits at
/// the loop's `PollGate` until the sockets have been polled.
package final class EventLoopTaskExecutor: TaskExecutor, LoopYielder {
    package let eventLoop: any EventLoop
    private let gate: PollGate

    /// The loops every transport's sockets and tasks run on: NIO's one thread per
    /// core, like its singleton group, plus the hook that ends each `LoopTurn`.
    private static let loops = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount, metricsDelegate: TurnEnd())

    /// One executor per loop, so one poll gate per loop.
    private static let executors: [ObjectIdentifier: EventLoopTaskExecutor] = {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in loops.makeIterator() {
            executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(loop)
        }
        return executors
    }()

    /// Every shared loop's executor.
    package static var all: [EventLoopTaskExecutor] { Array(executors.values) }

    /// The executor of the next shared loop (round robin); taking one starts the
    /// loops' threads, so a transport that does it up front keeps that cost out of
    /// its first dial.
    package static func next() -> EventLoopTaskExecutor {
        executors[ObjectIdentifier(loops.next())]!
    }

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.gate = PollGate(eventLoop)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            LoopTurn.begin(for: self)
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }

    package func stepAside() async {
        await gate.pass()
    }
}

/// Called by each shared loop after its tasks and before its next poll.
private struct TurnEnd: NIOEventLoopMetricsDelegate {
    func processedTick(info: NIOEventLoopTickInfo) {
        LoopTurn.end()
    }
}
