import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// One run of the interop test binary as the harness starts it: build the host
/// from the registry for the configured combination, play the configured role,
/// all bounded by the test timeout.
public enum InteropRun {
    /// Runs the role; for the dialer, returns the text to print on stdout.
    public static func run(config: InteropConfig, registry: Registry, logger: Logger) async throws -> String? {
        let host: Host
        let transport: any Transport
        do {
            transport = try registry.transport(named: config.transport)
            let upgrader = try registry.upgrader(
                security: config.security, muxer: config.muxer, identity: .generateEd25519())
            host = try Host(transport: transport, upgrader: upgrader, logger: logger)
        } catch {
            throw InteropFailure(.config, "\(error)")
        }
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
                // On the transport's executor from the start, so the measured dial
                // pays no hop onto it.
                try await withTaskExecutorPreference(transport.preferredTaskExecutor) {
                    if config.isDialer {
                        return try await DialerRole.run(config: config, host: host, logger: runLogger)
                            .rendered(for: config.form)
                    }
                    try await ListenerRole.run(config: config, host: host, transport: transport, logger: runLogger)
                }
            }
        } catch let error as DeadlineExceeded {
            throw InteropFailure(.timeout, "\(error)")
        }
    }
}
