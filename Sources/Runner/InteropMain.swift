#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LibP2PRegistry
import Logging

/// The test binary's whole `main` for a given registry: read the harness's env-var
/// contract, play the role, print the result on stdout, exit. `libp2p-interop`
/// calls it with `Registry.builtin()`; a package that adds a plugin calls it with
/// its own registry, so its interop binary is a few lines:
///
/// ```swift
/// var registry = Registry.builtin()
/// try registry.register(MySecurity())
/// await InteropMain.run(registry: registry)
/// ```
public enum InteropMain {
    /// Never returns: the dialer exits 0 after printing its result; the listener
    /// serves until the harness stops it (or the test timeout ends it); any failure
    /// prints one line naming its phase on stderr and exits 1.
    public static func run(registry: Registry, environment: [String: String] = ProcessInfo.processInfo.environment) async -> Never {
        let config: InteropConfig
        do {
            config = try InteropConfig(environment: environment)
        } catch {
            fail("config failed: \(error)")
        }
        let level: Logger.Level = config.debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "libp2p-interop")
        OpenFileLimit.raiseToHardLimit()

        let outcome: Result<String?, any Error> = await withTaskGroup(of: Result<String?, any Error>?.self) { group in
            group.addTask {
                do {
                    return .success(try await InteropRun.run(config: config, registry: registry, logger: logger))
                } catch {
                    return .failure(error)
                }
            }
            // Backstop: the run honours its own deadline; if something ignores
            // cancellation, the process still ends shortly after the timeout.
            group.addTask {
                try? await Task.sleep(for: config.timeout + .seconds(5))
                return Task.isCancelled ? nil : .failure(InteropFailure(.timeout, "the test did not finish within \(config.timeout)"))
            }
            let first = await group.next()!!
            group.cancelAll()
            if case .failure(let error as InteropFailure) = first, error.phase == .timeout {
                fail("\(error)")
            }
            return first
        }
        switch outcome {
        case .success(let output):
            if let output {
                StandardStreams.write(output + "\n", to: .standardOutput)
            }
            exitProcess(0)
        case .failure(let error):
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        StandardStreams.write(message + "\n", to: .standardError)
        exitProcess(1)
    }
}
