import LibP2PRegistry

/// How this implementation declares itself to the interop harnesses, generated
/// from the registry so the declarations cannot drift from the code.
public enum Declarations {
    public static let defaultID = "swift-v0.1"

    /// test-plans `versionsInput.json` entry (also usable with `--extra-version`
    /// once `containerImageID` is filled in from `image.json`).
    public static func versionsInputEntry(_ registry: Registry, id: String = defaultID, imageID: String? = nil) -> String {
        var lines = ["{", "  \"id\": \"\(id)\","]
        if let imageID { lines.append("  \"containerImageID\": \"\(imageID)\",") }
        lines.append("  \"transports\": \(jsonList(registry.transports.map(\.name))),")
        lines.append("  \"secureChannels\": \(jsonList(registry.securities.map(\.name))),")
        lines.append("  \"muxers\": \(jsonList(registry.muxers.map(\.name)))")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// unified-testing `transport/images.yaml` entry, built from this repository's Dockerfile.
    public static func imagesYAMLEntry(_ registry: Registry, id: String = defaultID) -> String {
        """
        implementations:
          - id: \(id)
            source:
              type: local
              path: .
              dockerfile: Dockerfile
            transports: [\(registry.transports.map(\.name).joined(separator: ", "))]
            secureChannels: [\(registry.securities.map(\.name).joined(separator: ", "))]
            muxers: [\(registry.muxers.map(\.name).joined(separator: ", "))]

        """
    }

    /// unified-testing `perf/images.yaml` entry: the Dockerfile's `perf` stage
    /// (ENTRYPOINT `libp2p-interop perf`).
    public static func perfImagesYAMLEntry(_ registry: Registry, id: String = defaultID) -> String {
        """
        implementations:
          - id: \(id)
            source:
              type: local
              path: .
              dockerfile: Dockerfile
              target: perf
            transports: [\(registry.transports.map(\.name).joined(separator: ", "))]
            secureChannels: [\(registry.securities.map(\.name).joined(separator: ", "))]
            muxers: [\(registry.muxers.map(\.name).joined(separator: ", "))]

        """
    }

    /// test-plans `perf/runner/versionsInput.json` entry: test-plans' perf runner
    /// dials host:port over these transport stacks only (tcp and quic-v1).
    public static func perfVersionsInputEntry(_ registry: Registry, id: String = "v0.1") -> String {
        let stacks = registry.transports.map(\.name).filter { ["tcp", "quic-v1"].contains($0) }
        return """
            {
              "id": "\(id)",
              "implementation": "swift-libp2p",
              "transportStacks": \(jsonList(stacks))
            }

            """
    }

    /// A plain listing, for people.
    public static func text(_ registry: Registry) -> String {
        """
        transports: \(registry.transports.map(\.name).joined(separator: " "))
        secureChannels: \(registry.securities.map { "\($0.name) (\($0.protocolID))" }.joined(separator: " "))
        muxers: \(registry.muxers.map { "\($0.name) (\($0.protocolID))" }.joined(separator: " "))

        """
    }

    static func jsonList(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
}
