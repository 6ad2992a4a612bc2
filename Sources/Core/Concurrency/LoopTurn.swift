#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// How long the job now running on an event loop thread has had the thread, so
/// that one busy connection cannot starve the others on its loop.
///
/// NIO runs every ready task before it polls its sockets again (a task re-queued by
/// `Task.yield()` is ready at once), and a connection's tasks run on its socket's
/// loop. A task whose input is already buffered and whose writes the socket takes
/// at once never suspends: answering a peer's flood of pings or echoes kept a loop
/// busy for hundreds of milliseconds per turn, and an honest peer's handshake on the
/// same loop waited that long for each of its round trips. So the places that can
/// run on without end (a socket write, a muxer's frame loop) call
/// `stepAsideIfOverdue()`: once the loop's jobs have had the thread for `quantum`
/// since it last polled, the task waits until the loop has polled its sockets once
/// (the executor's `LoopYielder`), as tokio's cooperative budget makes
/// rust-libp2p's tasks do.
public enum LoopTurn {
    /// The most a job runs on a loop before it steps aside. Long enough that a bulk
    /// writer hardly notices (one poll every 2 ms), short enough that a handshake
    /// sharing the loop waits milliseconds a round trip, not seconds.
    public static let quantum = TimeAmount.milliseconds(2)

    /// A job of `yielder`'s starts on this thread (the executor calls this before
    /// each job it runs). The first job since the loop last polled starts the turn.
    @inlinable
    public static func begin(for yielder: any LoopYielder) {
        let turn = Turn.current
        // A thread runs one loop, so one yielder: set once, not retained per job.
        if turn.yielder == nil { turn.yielder = yielder }
        if turn.started == nil { turn.started = .now() }
    }

    /// The loop on this thread is about to poll its sockets: the turn is over.
    @inlinable
    public static func end() {
        Turn.existing?.started = nil
    }

    /// Whether the jobs run on this thread since its loop last polled have had it
    /// for longer than `quantum`; false on threads that run no `LoopYielder`'s jobs.
    /// A turn spans jobs: a thousand short ones (a stream flood's handlers) keep the
    /// sockets waiting as long as one long one.
    @inlinable
    public static var isOverdue: Bool { overdueTurn != nil }

    /// Lets the loop poll its sockets before going on, if this job is overdue.
    @inlinable
    public static func stepAsideIfOverdue() async {
        guard let yielder = overdueTurn?.yielder else { return }
        await yielder.stepAside()
    }

    /// This thread's turn if it has run past `quantum` (one thread-local lookup).
    @inlinable
    static var overdueTurn: Turn? {
        guard let turn = Turn.existing, let started = turn.started, NIODeadline.now() - started > quantum else { return nil }
        return turn
    }

    /// One thread's record. Unchecked: a thread reads and writes only its own.
    @usableFromInline
    final class Turn: @unchecked Sendable {
        @usableFromInline var yielder: (any LoopYielder)?
        @usableFromInline var started: NIODeadline?

        @usableFromInline init() {}

        @usableFromInline static let key: pthread_key_t = {
            var key = pthread_key_t()
            // The destructor releases a record when its thread exits.
            let status = pthread_key_create(&key) { pointer in
                Unmanaged<Turn>.fromOpaque(pointer!).release()
            }
            precondition(status == 0, "pthread_key_create failed: \(status)")
            return key
        }()

        @usableFromInline static var existing: Turn? {
            pthread_getspecific(key).map { Unmanaged<Turn>.fromOpaque($0).takeUnretainedValue() }
        }

        @usableFromInline static var current: Turn {
            if let turn = existing { return turn }
            let turn = Turn()
            pthread_setspecific(key, Unmanaged.passRetained(turn).toOpaque())
            return turn
        }
    }
}

/// An executor that runs jobs on an event loop thread and can hold a task back until
/// that loop has next polled its sockets.
public protocol LoopYielder: AnyObject, Sendable {
    /// Suspends the calling task (running on this yielder's thread) until the loop
    /// has polled its sockets once.
    func stepAside() async
}
