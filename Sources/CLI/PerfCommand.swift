import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry
import Logging

/// `libp2p-interop perf`: the perf test app. With no flags it follows
/// unified-testing's env-var contract (`docs/write-a-perf-test-app.md`); with
/// test-plans' flags it is that harness's `perf` binary. Results go to stdout,
/// everything else to stderr.
struct PerfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "The /perf/1.0.0 test app: unified-testing's env contract, or test-plans' flags.",
        discussion: "README.md, section \"Performance\", describes both forms.")

    @Flag(name: .customLong("run-server"), help: "test-plans: serve /perf/1.0.0 with the fixed all-zero-seed identity.")
    var runServer = false
    @Option(name: .customLong("server-address"), help: "test-plans: host:port to listen on (server) or dial (client).")
    var serverAddress: String?
    @Option(name: .customLong("transport"), help: "test-plans client: the transport (tcp or quic-v1).")
    var transport = "tcp"
    @Option(name: .customLong("upload-bytes"), help: "test-plans client: bytes to upload.")
    var uploadBytes: UInt64 = 0
    @Option(name: .customLong("download-bytes"), help: "test-plans client: bytes to ask back.")
    var downloadBytes: UInt64 = 0

    /// A perf run moves gigabytes: unless the harness sets a timeout, allow an hour.
    static let defaultTimeout = Duration.seconds(3600)
    /// unified-testing's perf Redis (the transport test's is `transport-redis`).
    static let defaultRedisAddress = "perf-redis:6379"

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        if let serverAddress {
            bootstrapLogging(debug: false)
            await Self.report {
                if runServer {
                    try await PerfTestPlans.serve(
                        on: serverAddress, registry: .builtin(), logger: Logger(label: "libp2p-perf"), emit: Self.printLine)
                } else {
                    try await PerfTestPlans.client(
                        server: serverAddress, transport: transport, uploadBytes: uploadBytes,
                        downloadBytes: downloadBytes, registry: .builtin(), logger: Logger(label: "libp2p-perf"),
                        emit: Self.printLine)
                }
                return nil
            }
            return
        }
        if runServer { Self.fail("config failed: --run-server needs --server-address") }

        let config: InteropConfig
        let parameters: PerfParameters
        do {
            config = try Self.config(from: env)
            parameters = config.isDialer ? try PerfParameters(environment: env) : PerfParameters()
        } catch {
            Self.fail("config failed: \(error)")
        }
        bootstrapLogging(debug: config.debug)
        await Self.report {
            try await PerfRun.run(
                config: config, parameters: parameters, registry: .builtin(), logger: Logger(label: "libp2p-perf"))
        }
    }

    /// The transport test's contract with the perf app's defaults.
    static func config(from env: [String: String]) throws -> InteropConfig {
        var config = try InteropConfig(environment: env)
        if InteropVariable.timeout.value(in: env) == nil { config.timeout = defaultTimeout }
        if InteropVariable.redisAddress.value(in: env) == nil { config.redisAddress = defaultRedisAddress }
        return config
    }

    private func bootstrapLogging(debug: Bool) {
        let level: Logger.Level = debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Runs `body`; prints its output, or the failure as one stderr line and exit 1.
    private static func report(_ body: () async throws -> String?) async {
        do {
            if let output = try await body() { printLine(output) }
        } catch {
            fail("\(error)")
        }
    }

    @Sendable static func printLine(_ line: String) {
        StandardStreams.write(line + "\n", to: .standardOutput)
    }

    static func fail(_ message: String) -> Never {
        StandardStreams.write(message + "\n", to: .standardError)
        exitProcess(1)
    }
}
