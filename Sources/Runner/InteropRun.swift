import LibP2PCore
import LibP2PRegistry
import Logging

/// One run of the interop test binary as the harness starts it: read the
/// env-var contract, build the host from the registry, play the configured role,
/// all bounded by the test timeout.
public enum InteropRun {
    /// Runs the role; for the dialer, returns the text to print on stdout.
    public static func run(config: InteropConfig, registry: Registry, logger: Logger) async throws -> String? {
        let identity = PrivateKey.generateEd25519()
        let transport: any Transport
        let upgrader: Upgrader
        do {
            transport = try registry.transport(named: config.transport)
            upgrader = try registry.upgrader(security: config.security, muxer: config.muxer, identity: identity)
            try upgrader.prepare()
        } catch {
            throw InteropFailure(.config, "\(error)")
        }
        let host = Host(identity: identity, transport: transport, upgrader: upgrader, logger: logger)
        var logger = logger
        logger[metadataKey: "peer"] = "\(host.peerID)"
        logger.info(
            "starting",
            metadata: [
                "role": "\(config.isDialer ? "dialer" : "listener")",
                "combination": "\(config.transport), \(config.security), \(config.muxer)",
            ])

        let runLogger = logger
        do {
            return try await withDeadline(config.timeout, "the test") {
                try await withTaskExecutorPreference(transport.preferredTaskExecutor) {
                    try await play(config: config, host: host, logger: runLogger)
                }
            }
        } catch let error as DeadlineExceeded {
            throw InteropFailure(.timeout, "\(error)")
        }
    }

    /// The configured role: the dialer's result text, or the listener's serving
    /// (which ends only by error or the deadline).
    private static func play(config: InteropConfig, host: Host, logger: Logger) async throws -> String? {
        if config.isDialer {
            return try await InteropRoles.runDialer(config: config, host: host, logger: logger).rendered(for: config.form)
        }
        try await InteropRoles.runListener(config: config, host: host, logger: logger)
        throw InteropFailure(.listen, "the listener stopped accepting connections")
    }
}
