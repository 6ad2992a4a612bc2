import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// Many connections from one process to one listener, each dialed, upgraded and
/// pinged once: `libp2p-interop load`. The listener's peer ID comes from the
/// address's `/p2p/…` when it has one (then any other peer is refused), else from
/// the handshake, which authenticates whoever answers.
public struct LoadGenerator: Sendable {
    public var address: Multiaddr
    public var connections: Int
    /// Connections dialing (connect, upgrade, first ping) at once.
    public var concurrency: Int
    /// When set, every connection stays open after its ping until all of the run's
    /// connections have pinged (or failed), so the listener holds them all at once;
    /// `concurrency` then bounds only how many are dialing at a time.
    public var hold: Bool
    /// Bound on one connection's dial, upgrade and ping.
    public var timeout: Duration

    public init(address: Multiaddr, connections: Int, concurrency: Int, hold: Bool = false, timeout: Duration = .seconds(30)) {
        self.address = address
        self.connections = connections
        self.concurrency = concurrency
        self.hold = hold
        self.timeout = timeout
    }

    /// Runs every connection and sums them up; failures are counted, and the first
    /// few logged, never thrown.
    public func run(host: Host, logger: Logger) async -> LoadReport {
        let clock = ContinuousClock()
        let start = clock.now
        let everyonePinged = AsyncLatch<Void>()
        let pending = LockedState(connections)
        let address = address
        let timeout = timeout
        let hold = hold
        @Sendable func finished() {
            let left = pending.withLock { count -> Int in
                count -= 1
                return count
            }
            if left == 0 { everyonePinged.set(()) }
        }
        // Tokens for the dialing phase: taken before the dial, given back after the
        // first pong (or the failure), so a held connection does not count.
        let dialSlots = AsyncBoundedBuffer<Void>(capacity: concurrency)
        for _ in 0..<concurrency { _ = dialSlots.offer(()) }
        @Sendable func one() async -> Result<Duration, any Error> {
            guard (try? await dialSlots.next()) != nil else { return .failure(CancellationError()) }
            let pinged = LockedState(false)
            @Sendable func releaseSlot() {
                let first = pinged.withLock { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first {
                    _ = dialSlots.offer(())
                    finished()
                }
            }
            let began = clock.now
            do {
                let elapsed = try await withDeadline(timeout, "one connection") {
                    try await host.withConnection(to: address, identify: .manual) { connection in
                        let pinger = try await Pinger.start(on: connection)
                        let elapsed = clock.now - began
                        releaseSlot()
                        if hold { _ = await everyonePinged.wait() }
                        await pinger.close()
                        return elapsed
                    }
                }
                return .success(elapsed)
            } catch {
                // Once: one that failed after its ping gave its slot back then.
                releaseSlot()
                return .failure(error)
            }
        }

        var latencies: [Duration] = []
        var failures: [String] = []
        var failed = 0
        await withTaskGroup(of: Result<Duration, any Error>.self) { group in
            var started = 0
            func record(_ result: Result<Duration, any Error>) {
                switch result {
                case .success(let elapsed): latencies.append(elapsed)
                case .failure(let error):
                    failed += 1
                    if failures.count < 5 { failures.append("\(error)") }
                }
            }
            // Held connections must all be under way at once; otherwise one task per
            // dial slot, each finished one replaced by the next.
            while started < (hold ? connections : min(concurrency, connections)) {
                started += 1
                group.addTask { await one() }
            }
            while let result = await group.next() {
                record(result)
                if started < connections {
                    started += 1
                    group.addTask { await one() }
                }
            }
        }
        for failure in failures { logger.error("connection failed", metadata: ["error": "\(failure)"]) }
        return LoadReport(latencies: latencies, failed: failed, elapsed: clock.now - start)
    }
}

/// What a load run measured: per-connection time from dial to first pong.
public struct LoadReport: Sendable, Equatable {
    public let ok: Int
    public let failed: Int
    public let p50Millis: Double
    public let p99Millis: Double
    public let connectionsPerSecond: Double

    init(latencies: [Duration], failed: Int, elapsed: Duration) {
        let sorted = latencies.map(\.milliseconds).sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }
        ok = sorted.count
        self.failed = failed
        p50Millis = percentile(0.50)
        p99Millis = percentile(0.99)
        let seconds = elapsed.milliseconds / 1000
        connectionsPerSecond = seconds > 0 ? Double(sorted.count + failed) / seconds : 0
    }

    /// One line of JSON, the load command's last line on stdout.
    public var json: String {
        func number(_ value: Double) -> String { InteropResult.format(value) }
        return "{\"ok\":\(ok),\"failed\":\(failed),\"p50Millis\":\(number(p50Millis)),"
            + "\"p99Millis\":\(number(p99Millis)),\"connectionsPerSecond\":\(number(connectionsPerSecond))}"
    }
}
