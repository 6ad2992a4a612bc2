#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// test-plans' perf binary (`perf/impl/*/perf`): flags instead of env vars, no
/// Redis. The client knows only the server's host:port, so the server's identity
/// is fixed — the Ed25519 key of the all-zero seed, as go's perf server derives
/// it — and the client expects that peer.
public enum PerfTestPlans {
    /// `12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN`.
    public static func serverIdentity() throws -> PrivateKey {
        try PrivateKey(ed25519Seed: [UInt8](repeating: 0, count: 32))
    }

    /// go's perf binary uses go-libp2p's defaults; noise and yamux are in every
    /// stack's defaults, so a peer of any implementation finds them.
    public static let security = "noise"
    public static let muxer = "yamux"

    /// The transports test-plans' perf runner dials (`--transport`); the server
    /// listens on each that this build has, on the same port (as go's does).
    public static let transportStacks = ["tcp", "quic-v1"]

    /// `host:port` (`[v6]:port` for IPv6) as a TCP multiaddr.
    public static func tcpAddress(_ hostPort: String) throws -> Multiaddr {
        try address(hostPort, transport: "tcp")
    }

    /// `host:port` as the multiaddr of `transport`: `/ip4/<host>/tcp/<port>` or
    /// `/ip4/<host>/udp/<port>/quic-v1`.
    public static func address(_ hostPort: String, transport: String) throws -> Multiaddr {
        guard let colon = hostPort.lastIndex(of: ":"), let port = UInt16(hostPort[hostPort.index(after: colon)...]) else {
            throw ConfigError(problems: ["--server-address must be host:port, got '\(hostPort)'"])
        }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let proto = host.contains(":") ? "ip6" : "ip4"
        do {
            switch transport {
            case "tcp": return try Multiaddr("/\(proto)/\(host)/tcp/\(port)")
            case "quic-v1": return try Multiaddr("/\(proto)/\(host)/udp/\(port)/quic-v1")
            default: throw ConfigError(problems: ["--transport must be one of \(transportStacks), got '\(transport)'"])
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(problems: ["--server-address has an unusable host '\(host)': \(error)"])
        }
    }

    /// Serves `/perf/1.0.0` on `address` (over tcp and, on the same port, quic-v1)
    /// until cancelled; `emit` hears each dialable address (go prints them on stdout).
    public static func serve(
        on address: String, registry: Registry, logger: Logger, emit: @Sendable (String) -> Void
    ) async throws {
        var listeners: [HostListener] = []
        for transport in transportStacks where registry.transports.contains(where: { $0.name == transport }) {
            let host = try makeHost(registry: registry, transport: transport, identity: try serverIdentity(), logger: logger)
            host.enablePerf()
            do {
                listeners.append(try await host.listen(on: try self.address(address, transport: transport)))
            } catch let error as HostError {
                for listener in listeners { await listener.close() }
                throw InteropFailure(error)
            }
            for bound in listeners.last!.addresses { emit("\(bound.appending(.p2p(host.peerID)))") }
        }
        await withTaskGroup(of: Void.self) { group in
            for listener in listeners { group.addTask { await listener.run() } }
        }
    }

    /// Dials the fixed-identity server at `address`, moves the bytes once and
    /// emits the JSON lines: one `intermediary` per second, then the `final`.
    public static func client(
        server address: String, transport: String, uploadBytes: UInt64, downloadBytes: UInt64,
        registry: Registry, logger: Logger, emit: @escaping @Sendable (String) -> Void
    ) async throws {
        let target = try self.address(address, transport: transport).appending(.p2p(try serverIdentity().peerID))
        let host = try makeHost(
            registry: registry, transport: transport, identity: PrivateKey.generateEd25519(), logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await host.withConnection(to: target) { connection in
                let progress = PerfProgress { interval in
                    emit(
                        line(
                            type: "intermediary", seconds: interval.duration, upload: interval.uploadBytes,
                            download: interval.downloadBytes))
                }
                _ = try await PerfClient.run(
                    on: connection, upload: uploadBytes, download: downloadBytes, progress: progress)
            }
        } catch let error as HostError {
            throw InteropFailure(error)
        } catch let error as PerfError {
            throw InteropFailure(.perf, "\(error)")
        }
        emit(line(type: "final", seconds: clock.now - start, upload: uploadBytes, download: downloadBytes))
    }

    /// One result line, go's field order.
    public static func line(type: String, seconds: Duration, upload: UInt64, download: UInt64) -> String {
        "{\"type\":\"\(type)\",\"timeSeconds\":\(seconds.milliseconds / 1000),\"uploadBytes\":\(upload),\"downloadBytes\":\(download)}"
    }

    /// A host on `transport`; a byte-stream one upgrades with noise and yamux, a
    /// standalone one (quic-v1) ignores them.
    static func makeHost(registry: Registry, transport: String, identity: PrivateKey, logger: Logger) throws -> LibP2PHost.Host {
        do {
            let upgrader = try registry.upgrader(security: security, muxer: muxer, identity: identity)
            return try Host(transport: try registry.transport(named: transport), upgrader: upgrader, logger: logger)
        } catch {
            throw InteropFailure(.config, "\(error)")
        }
    }
}
