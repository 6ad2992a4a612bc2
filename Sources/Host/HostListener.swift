import LibP2PCore
import LibP2PRegistry
import Logging

/// A host listening on one address. `run()` accepts and serves connections
/// until `close()` or cancellation; every connection is a child task of it.
///
/// Policy (see `ConnectionLimits`): accepting never stops for want of room.
/// Unauthenticated connections have their own budget and a short upgrade
/// deadline; when the budget is full the oldest one is closed for the newcomer.
/// Established connections have a separate cap. File descriptors, tasks and
/// buffers are therefore bounded by the two budgets.
public final class HostListener: Sendable {
    public let host: Host
    /// The bound addresses as others can dial them (a wildcard bind replaced by
    /// an interface address), without `/p2p/`.
    public let addresses: [Multiaddr]
    private let transport: any Transport
    private let listener: any ConnectionListener
    private let table: InboundTable

    init(host: Host, transport: any Transport, listener: any ConnectionListener, addresses: [Multiaddr]) {
        self.host = host
        self.transport = transport
        self.listener = listener
        self.addresses = addresses
        self.table = InboundTable(limits: host.limits)
    }

    /// Current connection counts.
    public var statistics: ListenerStatistics { table.statistics }

    /// Accepts and serves until `close()` is called or the task is cancelled; then
    /// closes every connection it holds and returns once they have ended.
    public func run() async {
        await withTaskExecutorPreference(transport.preferredTaskExecutor) {
            await withDiscardingTaskGroup { group in
                while let accepted = try? await listener.accept() {
                    guard let (id, shed) = table.admit(accepted) else {
                        await accepted.close()
                        break
                    }
                    if let shed {
                        host.logger.debug("shedding the oldest upgrading connection", metadata: ["from": "\(shed.remoteAddress)"])
                        await shed.close()
                    }
                    group.addTask { await self.serve(accepted, id: id) }
                }
                // Closed or cancelled: end every connection so the children finish.
                await listener.close()
                let (upgrading, established) = table.closeAll()
                for accepted in upgrading { await accepted.close() }
                for connection in established { await connection.close() }
            }
        }
    }

    /// Stops accepting; `run()` then closes every connection and returns.
    public func close() async {
        await listener.close()
    }

    private func serve(_ accepted: any AcceptedConnection, id: UInt64) async {
        let remote = accepted.remoteAddress
        let capable: CapableConnection
        do {
            capable = try await withDeadline(host.limits.upgradeTimeout, "inbound upgrade") {
                try await accepted.upgrade()
            }
        } catch {
            if table.remove(id) {
                host.logger.info("inbound connection failed", metadata: ["from": "\(remote)", "error": "\(error)"])
            }
            await accepted.close()
            return
        }
        let connection = Connection(
            direction: .inbound, capable, identifyTimeout: host.limits.identifyTimeout, logger: host.logger)
        switch table.promote(id, to: connection) {
        case .established:
            break
        case .gone:
            await connection.close()
            return
        case .refused:
            host.logger.warning("too many connections; closing a new one", metadata: ["peer": "\(connection.remotePeer)"])
            await connection.close()
            return
        }
        host.logger.info(
            "inbound connection",
            metadata: ["peer": "\(connection.remotePeer)", "from": "\(remote)", "muxer": "\(connection.muxerID ?? "(transport)")"])
        await host.serveUntilClosed(connection)
        table.remove(id)
    }
}
