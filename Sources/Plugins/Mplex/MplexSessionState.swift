import LibP2PRegistry

/// How a session ended.
enum MplexSessionEnd {
    /// `close()` was called.
    case closedLocally
    /// The peer closed the connection between frames.
    case remoteClosed
    /// A protocol violation or a broken underlying stream.
    case failed(any Error)
}

/// The session's bookkeeping, guarded by one lock: the stream table, the accept
/// backlog and its waiters, and whether the session is still open.
struct MplexSessionState {
    enum Phase {
        case open
        case ended(MplexSessionEnd)
    }

    enum Inbound {
        /// The caller must resume this acceptor with the stream, after releasing the lock.
        case handedToAcceptor(CheckedContinuation<MplexStream?, any Error>)
        case queued
    }

    /// What `end` leaves for the caller to notify, outside the lock.
    struct Leftovers {
        var streams: [MplexStream]
        var acceptWaiters: [CheckedContinuation<MplexStream?, any Error>]
    }

    var phase = Phase.open
    var isRunning = false
    /// Streams frames can still be routed to, keyed by number and opener.
    private(set) var streams: [MplexStreamKey: MplexStream] = [:]
    /// Inbound streams not yet accepted, oldest first (also in `streams`).
    private(set) var backlog: [MplexStream] = []
    private var acceptWaiters: [(ticket: UInt64, continuation: CheckedContinuation<MplexStream?, any Error>)] = []
    private var nextTicket: UInt64 = 0
    /// go, rust and js all number their streams 0, 1, 2… on both sides (not the spec's
    /// odd/even split); keying by opener makes the overlap harmless, so we do the same.
    private(set) var nextOutboundID: UInt64 = 0

    var isOpen: Bool {
        if case .open = phase { return true }
        return false
    }

    mutating func takeOutboundID() -> UInt64 {
        defer { nextOutboundID += 1 }
        return nextOutboundID
    }

    mutating func register(_ stream: MplexStream) {
        streams[stream.key] = stream
    }

    /// Puts a new inbound stream in the table and hands it to a waiting acceptor
    /// (returned, to be resumed outside the lock) or queues it.
    mutating func deliverInbound(_ stream: MplexStream) -> Inbound {
        streams[stream.key] = stream
        if !acceptWaiters.isEmpty {
            return .handedToAcceptor(acceptWaiters.removeFirst().continuation)
        }
        backlog.append(stream)
        return .queued
    }

    /// Drops a finished stream from the table and the backlog (if it is still the one
    /// under its key).
    mutating func forget(_ stream: MplexStream) {
        if streams[stream.key] === stream { streams[stream.key] = nil }
        if let index = backlog.firstIndex(where: { $0 === stream }) { backlog.remove(at: index) }
    }

    mutating func popBacklog() -> MplexStream? {
        backlog.isEmpty ? nil : backlog.removeFirst()
    }

    mutating func newAcceptTicket() -> UInt64 {
        nextTicket += 1
        return nextTicket
    }

    mutating func parkAcceptor(ticket: UInt64, _ continuation: CheckedContinuation<MplexStream?, any Error>) {
        acceptWaiters.append((ticket, continuation))
    }

    mutating func removeAcceptor(ticket: UInt64) -> CheckedContinuation<MplexStream?, any Error>? {
        guard let index = acceptWaiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
        return acceptWaiters.remove(at: index).continuation
    }

    /// Ends the session once; returns what must be told, or nil if it had already ended.
    mutating func end(_ reason: MplexSessionEnd) -> Leftovers? {
        guard isOpen else { return nil }
        phase = .ended(reason)
        let leftovers = Leftovers(streams: Array(streams.values), acceptWaiters: acceptWaiters.map(\.continuation))
        streams = [:]
        backlog = []
        acceptWaiters = []
        return leftovers
    }
}
