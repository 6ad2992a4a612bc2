import ArgumentParser
import InteropRunner
import LibP2PBuiltins

/// The test binary the libp2p interop harnesses run. With no arguments it follows
/// the env-var contract (`run`).
@main
struct LibP2PInterop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libp2p-interop",
        abstract: "The Swift libp2p transport-interop test binary.",
        subcommands: [RunCommand.self, PerfCommand.self, MatrixCommand.self, PluginsCommand.self, LoadCommand.self],
        defaultSubcommand: RunCommand.self)

    /// The harnesses start the binary with no arguments, once per test: that path
    /// goes straight to `run`, since building the command tree and parsing nothing
    /// (first-use metadata and conformance lookups) is a measurable part of a
    /// process that lives a few milliseconds.
    static func main() async {
        guard CommandLine.arguments.count > 1 else {
            await InteropMain.run(registry: .builtin())
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
