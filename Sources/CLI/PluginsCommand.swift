import ArgumentParser
import InteropRunner
import LibP2PRegistry

/// `libp2p-interop plugins`: what this build registers, in preference order.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the registered transports, security channels and muxers.")

    func run() throws {
        let registry = Registry.builtin()
        print("transports: \(registry.transports.map(\.name).joined(separator: " "))")
        print("secureChannels: \(registry.securities.map(\.name).joined(separator: " "))")
        print("muxers: \(registry.muxers.map(\.name).joined(separator: " "))")
    }
}
