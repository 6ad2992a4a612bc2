import Foundation
import InteropRunner

/// Where the test processes come from: the `libp2p-interop` binary that `swift
/// build` put beside the test bundle, and the project's py-libp2p peer.
enum Peers {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `LIBP2P_INTEROP_BIN`, else the binary next to the running test bundle.
    static var swiftBinary: String {
        if let path = ProcessInfo.processInfo.environment["LIBP2P_INTEROP_BIN"] { return path }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDir.appendingPathComponent("libp2p-interop").path
    }

    static var swiftCommand: [String] { [swiftBinary] }

    /// `PY_PEER_PYTHON`, else the venv `scripts/setup-python-peer.sh` makes.
    static var pythonCommand: [String]? {
        let env = ProcessInfo.processInfo.environment
        let python = env["PY_PEER_PYTHON"]
            ?? env["PY_PEER_VENV"].map { "\($0)/bin/python" }
            ?? repoRoot.appendingPathComponent(".venv-pypeer/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        return [python, repoRoot.appendingPathComponent("interop/python/peer.py").path]
    }

    static let missingPython =
        "the py-libp2p peer is not installed: run scripts/setup-python-peer.sh (scripts/test.sh does) or set PY_PEER_PYTHON"

    static func logDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("interop-tests-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
