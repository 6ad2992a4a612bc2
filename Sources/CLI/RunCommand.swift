#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

/// `libp2p-interop` / `libp2p-interop run`: one side of one interop test, configured
/// by environment variables. The result goes to stdout, everything else to stderr.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play the dialer or listener of one interop test, configured by env vars.",
        discussion: "The env-var contract (test-plans and unified-testing names) is in README.md, section \"Running the binary the way the harnesses do\".")

    func run() async throws {
        let config: InteropConfig
        do {
            config = try InteropConfig(environment: ProcessInfo.processInfo.environment)
        } catch {
            Self.fail("config failed: \(error)")
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
                    return .success(try await InteropRun.run(config: config, registry: .builtin(), logger: logger))
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
                Self.fail("\(error)")
            }
            return first
        }
        switch outcome {
        case .success(let output):
            if let output {
                StandardStreams.write(output + "\n", to: .standardOutput)
            }
        case .failure(let error):
            Self.fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        StandardStreams.write(message + "\n", to: .standardError)
        exitProcess(1)
    }
}
