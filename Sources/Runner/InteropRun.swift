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
        try await withRole(config: config, registry: registry, logger: logger, what: "the test") { host, transport, logger in
            if config.isDialer {
                return try await DialerRole.run(config: config, host: host, logger: logger).rendered(for: config.form)
            }
            try await ListenerRole.run(config: config, host: host, transport: transport, logger: logger)
        }
    }

    /// What every test app's run shares (the transport test's and perf's): the host
    /// for the configured combination from the registry (a failure is a config
    /// error), a log line naming role and combination, then `role` on the
    /// transport's executor from the start, so the measured dial pays no hop onto
    /// it, all under the test timeout (`what` names the run in the timeout error).
    static func withRole<Result: Sendable>(
        config: InteropConfig, registry: Registry, logger: Logger, what: String,
        _ role: @escaping @Sendable (Host, any Transport, Logger) async throws -> Result
    ) async throws -> Result {
        let host: Host
        let transport: any Transport
        do {
            let upgrader: Upgrader
            (transport, upgrader) = try registry.pipeline(for: config.combination, identity: .generateEd25519())
            host = try Host(transport: transport, upgrader: upgrader, logger: logger)
        } catch {
            throw InteropFailure(.config, "\(error)")
        }
        var logger = logger
        logger[metadataKey: "peer"] = "\(host.peerID)"
        logger.info(
            "starting \(what)",
            metadata: [
                "role": "\(config.isDialer ? "dialer" : "listener")",
                "combination": "\(transport.isStandalone ? Combination(standalone: transport.name) : config.combination)",
            ])
        let roleLogger = logger
        do {
            return try await withDeadline(config.timeout, what) {
                try await withTaskExecutorPreference(transport.preferredTaskExecutor) {
                    try await role(host, transport, roleLogger)
                }
            }
        } catch let error as DeadlineExceeded {
            throw InteropFailure(.timeout, "\(error)")
        }
    }
}
