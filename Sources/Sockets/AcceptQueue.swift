import LibP2PCore
import NIOCore

/// Established inbound connections that `accept()` has not taken yet. Bounded: at
/// `limit` queued connections the listening socket stops accepting (its read is
/// withheld) and new peers wait in the kernel's backlog, as with any slow server.
/// A pure state machine (generic so that tests can queue plain values);
/// `AcceptQueue` wraps it in a `LockedState`.
struct AcceptState<Connection: Sendable>: Sendable {
    let limit: Int
    private(set) var ready = CircularBuffer<Connection>()
    private(set) var acceptWithheld = false
    private(set) var closed = false
    /// Parked `accept()` calls, oldest first.
    var acceptors = WaiterQueue<Connection?>()

    init(limit: Int) { self.limit = limit }

    enum PushResult {
        case queued
        /// A parked `accept()` takes it: resume after the lock.
        case handed(Resumption<Connection?>)
        case rejected
    }

    /// A connection is established. A closed queue rejects it (the caller closes it).
    mutating func push(_ connection: Connection) -> PushResult {
        if closed { return .rejected }
        if let acceptor = acceptors.wakeFirst(returning: connection) { return .handed(acceptor) }
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

    /// Closes the queue: returns the parked acceptors' wake-ups (with `nil`) and the
    /// connections nobody accepted (to close).
    mutating func close() -> (acceptors: Resumptions, unaccepted: [Connection]) {
        closed = true
        defer { ready.removeAll() }
        return (acceptors.wakeAll(returning: nil), Array(ready))
    }
}

final class AcceptQueue: Sendable {
    private let state: LockedState<AcceptState<TCPConnection>>

    init(limit: Int) { state = LockedState(AcceptState(limit: limit)) }

    /// Queues an established connection; false if the listener is closed.
    func push(_ connection: TCPConnection) -> Bool {
        switch state.withLock({ $0.push(connection) }) {
        case .queued: return true
        case .handed(let acceptor):
            acceptor.resume()
            return true
        case .rejected: return false
        }
    }

    func shouldAccept() -> Bool { state.withLock { $0.shouldAccept() } }

    /// The next connection, `nil` once closed. `resumeAccepting` runs when a full
    /// queue got room again.
    func pop(resumeAccepting: () -> Void) async throws -> TCPConnection? {
        var resume = false
        let connection = try await state.wait(in: \.acceptors) { s, _ in
            switch s.pop() {
            case .connection(let connection, let resumeAccepting):
                resume = resumeAccepting
                return .ready(connection)
            case .closed: return .ready(nil)
            case .wait: return .park
            }
        }
        if resume { resumeAccepting() }
        return connection
    }

    /// Wakes every parked `accept()` with `nil`; returns the connections nobody took.
    func close() -> [TCPConnection] {
        let (acceptors, unaccepted) = state.withLock { $0.close() }
        acceptors.resume()
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
