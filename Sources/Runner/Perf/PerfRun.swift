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

    static func listen(config: InteropConfig, host: Host, transport: any Transport, logger: Logger) async throws -> Never {
        host.enablePerf()
        let listener: HostListener
        do {
            listener = try await host.listen(on: try transport.listenAddress(ip: config.listenIP))
        } catch let error as HostError {
            throw InteropFailure(error)
        } catch {
            throw InteropFailure(.config, "bad listen IP '\(config.listenIP)': \(error)")
        }
        guard let first = listener.addresses.first else {
            await listener.close()
            throw InteropFailure(.listen, "the listener reports no address")
        }
        let dialable = first.appending(.p2p(host.peerID))
        do {
            try await PerfRendezvous.publish(dialable.description, config: config, logger: logger)
        } catch {
            await listener.close()
            throw error
        }
        logger.info("perf listening", metadata: ["address": "\(dialable)"])
        await listener.run()
        throw InteropFailure(.listen, "the listener stopped accepting connections")
    }

    static func dial(config: InteropConfig, parameters: PerfParameters, host: Host, logger: Logger) async throws -> PerfResults {
        let text = try await PerfRendezvous.fetch(config: config, logger: logger)
        let address: Multiaddr
        do {
            address = try Multiaddr(text)
        } catch {
            throw InteropFailure(.dial, "the listener published an unusable address '\(text)': \(error)")
        }
        logger.info("dialing", metadata: ["address": "\(address)"])
        do {
            return try await host.withConnection(to: address, identify: .manual) { connection in
                try await measure(on: connection, parameters, logger: logger)
            }
        } catch let error as HostError {
            throw InteropFailure(error)
        } catch let error as InteropFailure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw InteropFailure(.perf, "\(error)")
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
