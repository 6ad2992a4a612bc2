import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// unified-testing's perf test app (its `docs/write-a-perf-test-app.md`): the
/// listener serves `/perf/1.0.0` and publishes its address with `SET`; the dialer
/// runs the upload, download and latency series on one connection and returns
/// the YAML blocks for stdout.
public enum PerfRun {
    /// Runs the role under the config's timeout; for the dialer, returns the YAML.
    public static func run(
        config: InteropConfig, parameters: PerfParameters, registry: Registry, logger: Logger
    ) async throws -> String? {
        try await InteropRun.withRole(config: config, registry: registry, logger: logger, what: "the perf test") {
            host, transport, logger in
            if config.isDialer {
                return try await dial(config: config, parameters: parameters, host: host, logger: logger).yaml
            }
            try await listen(config: config, host: host, transport: transport, logger: logger)
        }
    }

    /// The transport test's listener with perf served and its address `SET`.
    static func listen(config: InteropConfig, host: Host, transport: any Transport, logger: Logger) async throws -> Never {
        host.enablePerf()
        try await ListenerRole.run(
            config: config, host: host, transport: transport, logger: logger, publish: PerfRendezvous.publish)
    }

    static func dial(config: InteropConfig, parameters: PerfParameters, host: Host, logger: Logger) async throws -> PerfResults {
        let address = try DialerRole.publishedAddress(try await PerfRendezvous.fetch(config: config, logger: logger))
        logger.info("dialing", metadata: ["address": "\(address)"])
        return try await DialerRole.failingAs(.perf) {
            try await host.withConnection(to: address, identify: .manual) { connection in
                try await measure(on: connection, parameters, logger: logger)
            }
        }
    }

    /// The three series, each transfer on its own stream: uploads (nothing
    /// asked back), downloads (nothing sent), then 1-byte round trips.
    public static func measure(on connection: Connection, _ p: PerfParameters, logger: Logger) async throws -> PerfResults {
        var upload: [Double] = []
        for _ in 0..<p.uploadIterations {
            let transfer = try await PerfClient.run(on: connection, upload: p.uploadBytes, download: 0)
            upload.append(PerfResults.gigabitsPerSecond(p.uploadBytes, in: transfer.elapsed))
        }
        logger.info("upload done", metadata: ["gbps": "\(upload)"])
        var download: [Double] = []
        for _ in 0..<p.downloadIterations {
            let transfer = try await PerfClient.run(on: connection, upload: 0, download: p.downloadBytes)
            download.append(PerfResults.gigabitsPerSecond(p.downloadBytes, in: transfer.elapsed))
        }
        logger.info("download done", metadata: ["gbps": "\(download)"])
        var latency: [Double] = []
        for _ in 0..<p.latencyIterations {
            latency.append(try await PerfClient.run(on: connection, upload: 1, download: 1).elapsed.milliseconds)
        }
        return PerfResults(
            upload: PerfStatistics(samples: upload), download: PerfStatistics(samples: download),
            latency: PerfStatistics(samples: latency))
    }
}
