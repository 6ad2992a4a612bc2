import LibP2PRegistry
import NIOConcurrencyHelpers

/// A listener's inbound connections, in two budgets: those still upgrading
/// (unauthenticated) and those established. Admitting past the upgrading budget
/// sheds the oldest upgrading connection (the caller closes it), so that idle or
/// stalled sockets never stop the listener from taking a new peer.
final class InboundTable: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var upgrading: [UInt64: any AcceptedConnection] = [:]
        var established: [UInt64: Connection] = [:]
        var shed = 0
        var refused = 0
        var closed = false
    }

    private let state = NIOLockedValueBox(State())
    private let maxUpgrading: Int
    private let maxEstablished: Int

    init(limits: ConnectionLimits) {
        maxUpgrading = limits.maxUpgrading
        maxEstablished = limits.maxEstablished
    }

    /// Takes a new connection into the upgrading budget. Returns its id, and the
    /// connection shed to make room (to be closed by the caller), if any. A
    /// closed table takes nothing (`nil`: close the connection).
    func admit(_ accepted: any AcceptedConnection) -> (id: UInt64, shed: (any AcceptedConnection)?)? {
        state.withLockedValue { s in
            guard !s.closed else { return nil }
            var shed: (any AcceptedConnection)?
            if s.upgrading.count >= maxUpgrading, let oldest = s.upgrading.keys.min() {
                // Ids grow with arrival: the smallest is the one waiting longest.
                shed = s.upgrading.removeValue(forKey: oldest)
                s.shed += 1
            }
            s.nextID += 1
            s.upgrading[s.nextID] = accepted
            return (s.nextID, shed)
        }
    }

    enum Promotion {
        case established
        /// It was shed while its upgrade finished, or the listener closed.
        case gone
        /// The established budget is full.
        case refused
    }

    /// Moves an upgraded connection into the established budget.
    func promote(_ id: UInt64, to connection: Connection) -> Promotion {
        state.withLockedValue { s in
            guard s.upgrading.removeValue(forKey: id) != nil, !s.closed else { return .gone }
            guard s.established.count < maxEstablished else {
                s.refused += 1
                return .refused
            }
            s.established[id] = connection
            return .established
        }
    }

    /// Forgets a connection that ended. Returns false if it had been shed.
    @discardableResult
    func remove(_ id: UInt64) -> Bool {
        state.withLockedValue { s in
            s.upgrading.removeValue(forKey: id) != nil || s.established.removeValue(forKey: id) != nil
        }
    }

    /// Takes no more connections and hands back every one still held, to close.
    func closeAll() -> (upgrading: [any AcceptedConnection], established: [Connection]) {
        state.withLockedValue { s in
            s.closed = true
            defer {
                s.upgrading.removeAll()
                s.established.removeAll()
            }
            return (Array(s.upgrading.values), Array(s.established.values))
        }
    }

    var statistics: ListenerStatistics {
        state.withLockedValue { s in
            ListenerStatistics(upgrading: s.upgrading.count, established: s.established.count, shed: s.shed, refused: s.refused)
        }
    }
}

/// A listener's connection counts right now, and how many it has turned away.
public struct ListenerStatistics: Sendable, Equatable {
    /// Connections in their security/muxer upgrade.
    public var upgrading: Int
    /// Upgraded connections being served.
    public var established: Int
    /// Upgrading connections closed to make room for newer ones (so far).
    public var shed: Int
    /// Upgraded connections closed because the established budget was full (so far).
    public var refused: Int
}
