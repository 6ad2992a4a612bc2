import ArgumentParser
import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry

/// `libp2p-interop` / `libp2p-interop run`: one side of one interop test, configured
/// by environment variables. The result goes to stdout, everything else to stderr.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play the dialer or listener of one interop test, configured by env vars.",
        discussion: "The env-var contract (test-plans and unified-testing names) is in README.md, section \"Running the binary the way the harnesses do\".")

    func run() async throws {
        await InteropMain.run(registry: .builtin())
    }
}
