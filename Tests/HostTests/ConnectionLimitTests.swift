import Foundation
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import NIOCore
import Testing

/// Issue 9: hundreds of idle or half-handshaken connections must not lock an
/// honest peer out of a listener, and the ones shed must really be closed.
@Suite("Listener connection limits", .serialized)
struct ConnectionLimitTests {
    enum Flood: String, CaseIterable, Sendable {
        /// Connect and send nothing.
        case idle
        /// Send the multistream header and a security proposal, then stall.
        case halfHandshaken
    }

    static let floodSize = 300

    @Test("an honest dial and ping succeed while 300 stalled connections are held", arguments: Flood.allCases)
    func honestPeerGetsThrough(_ flood: Flood) async throws {
        let limits = ConnectionLimits()
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux, limits: limits)
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        let transport = try TestHosts.rawTCP
        let fdsBefore = Self.openFileDescriptors()

        try await TestHosts.serving(listenerHost) { listener, address in
            var held: [any RawConnection] = []
            for _ in 0..<Self.floodSize {
                let raw = try await transport.dial(address)
                if flood == .halfHandshaken {
                    var hello = Multistream.encode(Multistream.protocolID)
                    var proposal = Multistream.encode("/noise")
                    hello.writeBuffer(&proposal)
                    try await raw.write(hello)
                }
                held.append(raw)
            }
            let all = held

            // The honest peer: connect, handshake, ping, within a generous bound.
            try await withDeadline(.seconds(10), "an honest dial and ping") {
                try await dialerHost.withConnection(to: address) { connection in
                    var pinger = try await Pinger.start(on: connection)
                    _ = try await pinger.ping()
                    await pinger.close()
                }
            }

            let stats = listener.statistics
            #expect(stats.upgrading <= limits.maxUpgrading)
            #expect(stats.shed >= Self.floodSize - limits.maxUpgrading, "statistics: \(stats)")

            // Every shed connection was closed by the listener: its reads end.
            let ended = try await withDeadline(.seconds(10), "reading the held connections") {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for raw in all { group.addTask { await Self.endsSoon(raw) } }
                    var count = 0
                    for try await closed in group where closed { count += 1 }
                    return count
                }
            }
            #expect(ended >= stats.shed, "\(ended) connections ended, \(stats.shed) were shed")
            for raw in all { await raw.close() }
        }
        // Listener and connections closed: the descriptors are back.
        try await Task.sleep(for: .milliseconds(200))
        let fdsAfter = Self.openFileDescriptors()
        #expect(fdsAfter <= fdsBefore + 8, "open descriptors: \(fdsBefore) before, \(fdsAfter) after")
    }

    @Test("a connection silent past the upgrade deadline is closed")
    func upgradeDeadline() async throws {
        var limits = ConnectionLimits()
        limits.upgradeTimeout = .milliseconds(500)
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux, limits: limits)
        let transport = try TestHosts.rawTCP
        try await TestHosts.serving(listenerHost) { listener, address in
            let raw = try await transport.dial(address)
            let ended = try await withDeadline(.seconds(10), "the silent connection's end") {
                await Self.endsSoon(raw, within: .seconds(5))
            }
            #expect(ended)
            #expect(listener.statistics.upgrading == 0)
            await raw.close()
        }
    }

    @Test("past the established cap a new connection is closed, the first one keeps working")
    func establishedCap() async throws {
        var limits = ConnectionLimits()
        limits.maxEstablished = 1
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux, limits: limits)
        let first = try TestHosts.host(TestHosts.noiseYamux)
        let second = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { listener, address in
            try await withDeadline(.seconds(20), "two dialers") {
                try await first.withConnection(to: address) { connection in
                    var pinger = try await Pinger.start(on: connection)
                    await #expect(throws: (any Error).self) {
                        try await second.withConnection(to: address) { other in
                            var refused = try await Pinger.start(on: other)
                            _ = try await refused.ping()
                        }
                    }
                    _ = try await pinger.ping()
                    await pinger.close()
                }
            }
            #expect(listener.statistics.refused == 1)
        }
    }

    /// True when `raw`'s reads reach the end (or fail) within `limit`.
    static func endsSoon(_ raw: any RawConnection, within limit: Duration = .seconds(3)) async -> Bool {
        do {
            return try await withDeadline(limit, "end of stream") {
                while try await raw.read() != nil {}
                return true
            }
        } catch is DeadlineExceeded {
            return false
        } catch {
            return true  // reset or closed: ended too
        }
    }

    static func openFileDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
