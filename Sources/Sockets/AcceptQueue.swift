import LibP2PCore
import NIOCore

/// Established inbound connections that `accept()` has not taken yet. Bounded: at
/// `limit` queued connections the listening socket stops accepting (its read is
/// withheld) and new peers wait in the kernel's backlog, as with any slow server.
/// A pure state machine (generic so that tests can queue plain values);
/// `AcceptQueue` wraps it in a `LockedState`.
package struct AcceptState<Connection: Sendable>: Sendable {
    package let limit: Int
    package private(set) var ready = CircularBuffer<Connection>()
    package private(set) var acceptWithheld = false
    package private(set) var closed = false
    /// Parked `accept()` calls, oldest first.
    package var acceptors = WaiterQueue<Connection?>()

    package init(limit: Int) { self.limit = limit }

    package enum PushResult {
        case queued
        /// A parked `accept()` takes it: resume after the lock.
        case handed(Resumption<Connection?>)
        case rejected
    }

    /// A connection is established. A closed queue rejects it (the caller closes it).
    package mutating func push(_ connection: Connection) -> PushResult {
        if closed { return .rejected }
        if let acceptor = acceptors.wakeFirst(returning: connection) { return .handed(acceptor) }
        ready.append(connection)
        return .queued
    }

    /// The listening socket wants to accept more: allowed below the limit.
    package mutating func shouldAccept() -> Bool {
        if ready.count >= limit {
            acceptWithheld = true
            return false
        }
        return true
    }

    package enum PopStep {
        case connection(Connection, resumeAccepting: Bool)
        case closed
        case wait
    }

    package mutating func pop() -> PopStep {
        if let connection = ready.popFirst() {
            let resume = acceptWithheld
            acceptWithheld = false
            return .connection(connection, resumeAccepting: resume)
        }
        return closed ? .closed : .wait
    }

    /// Closes the queue: returns the parked acceptors' wake-ups (with `nil`) and the
    /// connections nobody accepted (to close).
    package mutating func close() -> (acceptors: Resumptions, unaccepted: [Connection]) {
        closed = true
        defer { ready.removeAll() }
        return (acceptors.wakeAll(returning: nil), Array(ready))
    }
}

package final class AcceptQueue: Sendable {
    private let state: LockedState<AcceptState<SocketConnection>>

    package init(limit: Int) { state = LockedState(AcceptState(limit: limit)) }

    /// Queues an established connection; false if the listener is closed.
    package func push(_ connection: SocketConnection) -> Bool {
        switch state.withLock({ $0.push(connection) }) {
        case .queued: return true
        case .handed(let acceptor):
            acceptor.resume()
            return true
        case .rejected: return false
        }
    }

    package func shouldAccept() -> Bool { state.withLock { $0.shouldAccept() } }

    /// The next connection, `nil` once closed. `resumeAccepting` runs when a full
    /// queue got room again.
    package func pop(resumeAccepting: () -> Void) async throws -> SocketConnection? {
        var resume = false
        let connection = try await state.wait(in: { s, use in use(&s.acceptors) }) { s, _ in
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
    package func close() -> [SocketConnection] {
        let (acceptors, unaccepted) = state.withLock { $0.close() }
        acceptors.resume()
        return unaccepted
    }
}

/// On the listening channel: withholds accepting while the queue is full, and
/// closes the queue if the listening socket dies.
package final class AcceptGate: ChannelDuplexHandler {
    package typealias InboundIn = any Channel
    package typealias OutboundIn = Any

    private let queue: AcceptQueue

    package init(queue: AcceptQueue) { self.queue = queue }

    package func read(context: ChannelHandlerContext) {
        if queue.shouldAccept() {
            context.read()
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        for connection in queue.close() {
            connection.closeNow()
        }
        context.fireChannelInactive()
    }
}
