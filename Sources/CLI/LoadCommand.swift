import ArgumentParser
import InteropRunner
import LibP2PBuiltins
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// `libp2p-interop load`: dials one listener many times from one process, pings
/// once on each connection, and prints one JSON line with the outcome; exits
/// non-zero if any connection failed.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Dial one listener many times, ping on each connection, print a JSON summary.",
        discussion: """
            The address's /p2p/<peer-id>, when present, must match the listener (others are refused); \
            without it the peer ID is learned from the handshake.
            """)

    @Option(help: "The listener's multiaddr, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW….")
    var address: String
    @Option(help: "Connections in all.")
    var connections = 100
    @Option(help: "Connections dialing at once (connect, upgrade, first ping).")
    var concurrency = 10
    @Option(help: "noise or tls.")
    var security = "noise"
    @Option(help: "yamux or mplex.")
    var muxer = "yamux"
    @Option(help: "tcp, ws, wss or quic-v1 (must match the address; quic-v1 takes no --security or --muxer).")
    var transport = "tcp"
    @Flag(help: "Keep every connection open until all have pinged, so the listener holds them all at once.")
    var hold = false
    @Option(help: "Seconds one connection (dial, upgrade, ping, and the hold) may take.")
    var timeout: Double = 60

    func validate() throws {
        guard connections > 0, concurrency > 0 else { throw ValidationError("--connections and --concurrency must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "libp2p-interop.load")
        OpenFileLimit.raiseToHardLimit()
        let registry = Registry.builtin()
        let target: Multiaddr
        let host: Host
        do {
            target = try Multiaddr(address)
            let (transport, upgrader) = try registry.pipeline(
                for: Combination(transport: transport, security: security, muxer: muxer), identity: .generateEd25519())
            guard transport.canDial(target) else { throw LoadError.transportMismatch(self.transport, address) }
            host = try Host(transport: transport, upgrader: upgrader, logger: logger)
        } catch {
            StandardStreams.write("config failed: \(error)\n", to: .standardError)
            throw ExitCode(1)
        }
        let generator = LoadGenerator(
            address: target, connections: connections, concurrency: concurrency, hold: hold,
            timeout: .milliseconds(Int64(timeout * 1000)))
        let report = await generator.run(host: host, logger: logger)
        print(report.json)
        if report.failed > 0 { throw ExitCode(1) }
    }
}

enum LoadError: Error, CustomStringConvertible {
    case transportMismatch(String, String)
    var description: String {
        switch self {
        case .transportMismatch(let transport, let address): return "transport \(transport) cannot dial \(address)"
        }
    }
}
