import Foundation
import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry
import Testing

/// The harness declarations in interop/ are generated from the registry; these
/// checks fail when someone registers a plugin and forgets to regenerate them.
@Suite("Harness declarations")
struct DeclarationTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func committed(_ path: String) throws -> String {
        try String(contentsOf: Self.repo.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("interop/test-plans/versionsInput.json matches the registry")
    func versionsInput() throws {
        let expected = Declarations.versionsInputEntry(.builtin())
        #expect(
            try committed("interop/test-plans/versionsInput.json") == expected,
            "regenerate: libp2p-interop plugins --format versions-input > interop/test-plans/versionsInput.json")
        let object = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any]
        #expect(object?["secureChannels"] as? [String] == ["noise", "tls"])
        #expect(object?["muxers"] as? [String] == ["yamux", "mplex"])
    }

    @Test("interop/unified-testing/images.yaml matches the registry")
    func imagesYAML() throws {
        #expect(
            try committed("interop/unified-testing/images.yaml") == Declarations.imagesYAMLEntry(.builtin()),
            "regenerate: libp2p-interop plugins --format images-yaml > interop/unified-testing/images.yaml")
    }

    @Test("the perf declarations in interop/ match the registry")
    func perfDeclarations() throws {
        #expect(
            try committed("interop/unified-testing/perf/images.yaml") == Declarations.perfImagesYAMLEntry(.builtin()),
            "regenerate: libp2p-interop plugins --format perf-images-yaml > interop/unified-testing/perf/images.yaml")
        let versions = Declarations.perfVersionsInputEntry(.builtin())
        #expect(
            try committed("interop/test-plans/perf/versionsInput.json") == versions,
            "regenerate: libp2p-interop plugins --format perf-versions-input > interop/test-plans/perf/versionsInput.json")
        let object = try JSONSerialization.jsonObject(with: Data(versions.utf8)) as? [String: Any]
        #expect(object?["transportStacks"] as? [String] == ["tcp", "quic-v1"])
    }

    @Test("the Dockerfile's perf stage runs the perf app; the transport image stays the default (last) stage")
    func perfStage() throws {
        let text = try committed("Dockerfile")
        let perf = try #require(text.range(of: "AS perf\n"))
        #expect(text[perf.upperBound...].hasPrefix(#"ENTRYPOINT ["/usr/local/bin/libp2p-interop", "perf"]"#))
        let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.last?.hasSuffix("AS transport") == true)
        #expect(try committed("interop/test-plans/perf/Makefile").contains("docker build --target perf"))
    }

    @Test("the Dockerfile installs through the script CI runs, and starts the binary with no arguments")
    func dockerfile() throws {
        let text = try committed("Dockerfile")
        #expect(text.contains("RUN SKIP_PYTHON_PEER=1 scripts/install-deps.sh"))
        #expect(text.contains("install-deps.sh --runtime"))
        #expect(text.contains(#"ENTRYPOINT ["/usr/local/bin/libp2p-interop"]"#))
        let ci = try committed(".ci/run")
        #expect(ci.contains("scripts/test.sh"))
        #expect(try committed("scripts/test.sh").contains("scripts/install-deps.sh"))
    }

    @Test("the Dockerfile's build stage uses the toolchain these tests were compiled with")
    func dockerfileToolchain() throws {
        let text = try committed("Dockerfile")
        #if compiler(>=6.3) && !compiler(>=6.4)
        #expect(text.contains("FROM swift:6.3-bookworm AS build"), "the build stage should name swift:6.3-bookworm")
        #else
        Issue.record("built with a toolchain other than Swift 6.3: update the Dockerfile's build stage and this test")
        #endif
    }
}
