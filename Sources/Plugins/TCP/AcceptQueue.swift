import NIOCore
import Synchronization

/// Established inbound connections that `accept()` has not taken yet. Bounded: at
/// `limit` queued connections the listening socket stops accepting (its read is
/// withheld) and new peers wait in the kernel's backlog, as with any slow server.
/// A pure state machine (generic so that tests can queue plain values);
/// `AcceptQueue` wraps it in a lock.
struct AcceptState<Connection> {
    typealias Waiter = CheckedContinuation<Connection?, any Error>

    let limit: Int
    private(set) var ready = CircularBuffer<Connection>()
    private(set) var acceptWithheld = false
    private(set) var closed = false
    /// Parked `accept()` calls, oldest first; ids let a cancelled one leave.
    private var waiters: [(id: UInt64, continuation: Waiter)] = []

    init(limit: Int) { self.limit = limit }

    enum PushResult {
        case queued
        case handed(Waiter)
        case rejected
    }

    /// A connection is established. A closed queue rejects it (the caller closes it).
    mutating func push(_ connection: Connection) -> PushResult {
        if closed { return .rejected }
        if !waiters.isEmpty { return .handed(waiters.removeFirst().continuation) }
        ready.append(connection)
        return .queued
    }

    /// The listening socket wants to accept more: allowed below the limit.
    mutating func shouldAccept() -> Bool {
        if ready.count >= limit {
            acceptWithheld = true
            return false
        }
        return true
    }

    enum PopStep {
        case connection(Connection, resumeAccepting: Bool)
        case closed
        case wait
    }

    mutating func pop() -> PopStep {
        if let connection = ready.popFirst() {
            let resume = acceptWithheld
            acceptWithheld = false
            return .connection(connection, resumeAccepting: resume)
        }
        return closed ? .closed : .wait
    }

    /// Parks an `accept()` after `pop()` said `.wait` (re-checks first).
    mutating func park(_ waiter: Waiter, id: UInt64) -> (Waiter, Connection?)? {
        switch pop() {
        case .connection(let connection, _): return (waiter, connection)
        case .closed: return (waiter, nil)
        case .wait:
            waiters.append((id, waiter))
            return nil
        }
    }

    mutating func cancel(id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }

    /// Closes the queue: returns the parked waiters (to resume with `nil`) and the
    /// connections nobody accepted (to close).
    mutating func close() -> (waiters: [Waiter], unaccepted: [Connection]) {
        closed = true
        defer {
            waiters.removeAll()
            ready.removeAll()
        }
        return (waiters.map(\.continuation), Array(ready))
    }
}

final class AcceptQueue: Sendable {
    private let state: Mutex<AcceptState<TCPConnection>>
    private let nextWaiterID = Atomic<UInt64>(0)

    init(limit: Int) { state = Mutex(AcceptState(limit: limit)) }

    /// Queues an established connection; false if the listener is closed.
    func push(_ connection: TCPConnection) -> Bool {
        switch state.withLock({ $0.push(connection) }) {
        case .queued: return true
        case .handed(let waiter):
            waiter.resume(returning: connection)
            return true
        case .rejected: return false
        }
    }

    func shouldAccept() -> Bool { state.withLock { $0.shouldAccept() } }

    /// The next connection, `nil` once closed. `resumeAccepting` runs when a full
    /// queue got room again.
    func pop(resumeAccepting: () -> Void) async throws -> TCPConnection? {
        switch state.withLock({ $0.pop() }) {
        case .connection(let connection, let resume):
            if resume { resumeAccepting() }
            return connection
        case .closed:
            return nil
        case .wait:
            break
        }
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: AcceptState<TCPConnection>.Waiter) in
                let immediate: (AcceptState<TCPConnection>.Waiter, Result<TCPConnection?, any Error>)? = state.withLock { s in
                    if Task.isCancelled { return (waiter, .failure(CancellationError())) }
                    return s.park(waiter, id: id).map { ($0.0, .success($0.1)) }
                }
                if let (waiter, result) = immediate {
                    waiter.resume(with: result)
                }
            }
        } onCancel: {
            // Taken out under the lock, resumed after it is released.
            let waiter = state.withLock { $0.cancel(id: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Wakes every parked `accept()` with `nil`; returns the connections nobody took.
    func close() -> [TCPConnection] {
        let (waiters, unaccepted) = state.withLock { $0.close() }
        for waiter in waiters { waiter.resume(returning: nil) }
        return unaccepted
    }
}

/// On the listening channel: withholds accepting while the queue is full, and
/// closes the queue if the listening socket dies.
final class AcceptGate: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias OutboundIn = Any

    private let queue: AcceptQueue

    init(queue: AcceptQueue) { self.queue = queue }

    func read(context: ChannelHandlerContext) {
        if queue.shouldAccept() {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for connection in queue.close() {
            connection.closeNow()
        }
        context.fireChannelInactive()
    }
}
