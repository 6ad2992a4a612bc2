import ArgumentParser

/// The test binary the libp2p interop harnesses run. With no arguments it follows
/// the env-var contract (`run`).
@main
struct LibP2PInterop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libp2p-interop",
        abstract: "The Swift libp2p transport-interop test binary.",
        subcommands: [RunCommand.self, MatrixCommand.self, PluginsCommand.self, LoadCommand.self],
        defaultSubcommand: RunCommand.self)
}
