import NIOCore

/// Runs Swift tasks on one NIO event loop. When the tasks that drive a connection
/// prefer this executor (`withTaskExecutorPreference`), a read resumes on the
/// thread that received the bytes and a write is handed to the socket on that same
/// thread: no thread switch per message, which on a handshake of several round
/// trips is most of the latency.
package final class EventLoopTaskExecutor: TaskExecutor {
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
