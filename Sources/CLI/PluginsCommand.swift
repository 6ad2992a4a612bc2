import ArgumentParser
import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry

/// `libp2p-interop plugins`: what this build registers, in preference order, as
/// text or as the harnesses' declarations.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the registered plugins, or print the interop harnesses' declaration of this implementation.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case versionsInput = "versions-input"
        case imagesYAML = "images-yaml"
        case perfImagesYAML = "perf-images-yaml"
        case perfVersionsInput = "perf-versions-input"
    }

    @Option(help: "text, versions-input (test-plans), images-yaml (unified-testing), perf-versions-input, perf-images-yaml.")
    var format: Format = .text
    @Option(help: "The implementation's id in the harness.")
    var id = Declarations.defaultID
    @Option(help: "containerImageID for versions-input (from image.json).")
    var imageID: String?

    func run() throws {
        let registry = Registry.builtin()
        switch format {
        case .text: print(Declarations.text(registry), terminator: "")
        case .versionsInput: print(Declarations.versionsInputEntry(registry, id: id, imageID: imageID), terminator: "")
        case .imagesYAML: print(Declarations.imagesYAMLEntry(registry, id: id), terminator: "")
        case .perfImagesYAML: print(Declarations.perfImagesYAMLEntry(registry, id: id), terminator: "")
        case .perfVersionsInput: print(Declarations.perfVersionsInputEntry(registry), terminator: "")
        }
    }
}
