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

    /// The transport stacks test-plans' perf runner asks for (`--transport`), each
    /// served on the same port number by the server.
    public static let transports = ["tcp", "quic-v1"]

    /// `host:port` (`[v6]:port` for IPv6) as a TCP multiaddr.
    public static func tcpAddress(_ hostPort: String) throws -> Multiaddr {
        try address(hostPort, transport: "tcp")
    }

    /// `host:port` as `transport`'s multiaddr: `/ip4/<host>/tcp/<port>` or
    /// `/ip4/<host>/udp/<port>/quic-v1`.
    public static func address(_ hostPort: String, transport: String) throws -> Multiaddr {
        guard let colon = hostPort.lastIndex(of: ":"), let port = UInt16(hostPort[hostPort.index(after: colon)...]) else {
            throw ConfigError(problems: ["--server-address must be host:port, got '\(hostPort)'"])
        }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let proto = host.contains(":") ? "ip6" : "ip4"
        let tail: String
        switch transport {
        case "tcp": tail = "tcp/\(port)"
        case "quic-v1": tail = "udp/\(port)/quic-v1"
        default: throw ConfigError(problems: ["--transport must be one of \(transports.joined(separator: ", ")), got '\(transport)'"])
        }
        do {
            return try Multiaddr("/\(proto)/\(host)/\(tail)")
        } catch {
            throw ConfigError(problems: ["--server-address has an unusable host '\(host)': \(error)"])
        }
    }

    /// Serves `/perf/1.0.0` on `address` until cancelled, over every perf
    /// transport this build has (tcp, and quic-v1 on the same port number, as go's
    /// server does); `emit` hears each dialable address (go prints them on stdout).
    public static func serve(
        on address: String, registry: Registry, logger: Logger, emit: @Sendable (String) -> Void
    ) async throws {
        let host = try makeHost(registry: registry, identity: try serverIdentity(), logger: logger)
        host.enablePerf()
        var listeners: [HostListener] = []
        do {
            for transport in host.transports {
                listeners.append(try await host.listen(on: try Self.address(address, transport: transport.name)))
            }
        } catch let error as HostError {
            for listener in listeners { await listener.close() }
            throw InteropFailure(error)
        }
        for listener in listeners {
            for address in listener.addresses { emit("\(address.appending(.p2p(host.peerID)))") }
        }
        await withDiscardingTaskGroup { group in
            for listener in listeners { group.addTask { await listener.run() } }
        }
    }

    /// Dials the fixed-identity server at `address`, moves the bytes once and
    /// emits the JSON lines: one `intermediary` per second, then the `final`.
    public static func client(
        server address: String, transport: String, uploadBytes: UInt64, downloadBytes: UInt64,
        registry: Registry, logger: Logger, emit: @escaping @Sendable (String) -> Void
    ) async throws {
        let target = try Self.address(address, transport: transport).appending(.p2p(try serverIdentity().peerID))
        let host = try makeHost(registry: registry, identity: PrivateKey.generateEd25519(), logger: logger)
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

    /// A host on every perf transport the registry has (quic-v1 uses only the
    /// identity; tcp upgrades with noise and yamux).
    static func makeHost(registry: Registry, identity: PrivateKey, logger: Logger) throws -> LibP2PHost.Host {
        do {
            let upgrader = try registry.upgrader(security: security, muxer: muxer, identity: identity)
            let transports = registry.transports.filter { Self.transports.contains($0.name) }
            return try Host(transports: transports, upgrader: upgrader, logger: logger)
        } catch {
            throw InteropFailure(.config, "\(error)")
        }
    }
}
