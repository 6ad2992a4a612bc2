#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One implementation the local matrix can run: how to start its test binary and
/// what it supports. Swift's own entry comes from the registry; the others from a
/// small JSON file (`interop/implementations.json`), so adding one is one entry.
public struct Implementation: Sendable, Codable, Equatable {
    public var id: String
    /// argv; `${NAME}` is replaced by the environment variable NAME, `${SELF}` by the
    /// path of the running binary, `${REPO}` by the repository root.
    public var command: [String]
    public var transports: [String]
    public var secureChannels: [String]
    public var muxers: [String]

    public init(id: String, command: [String], transports: [String], secureChannels: [String], muxers: [String]) {
        self.id = id
        self.command = command
        self.transports = transports
        self.secureChannels = secureChannels
        self.muxers = muxers
    }

    /// The command with its placeholders filled in; throws naming an unset variable.
    public func resolvedCommand(variables: [String: String]) throws -> [String] {
        try command.map { part in
            var out = part
            while let open = out.firstRange(of: "${"), let close = out[open.upperBound...].firstIndex(of: "}") {
                let name = String(out[open.upperBound..<close])
                guard let value = variables[name], !value.isEmpty else {
                    throw MatrixError.unsetVariable(name, implementation: id)
                }
                out.replaceSubrange(open.lowerBound...close, with: value)
            }
            return out
        }
    }

    /// Reads a list of implementations from JSON.
    public static func load(from url: URL) throws -> [Implementation] {
        do {
            return try JSONDecoder().decode([Implementation].self, from: Data(contentsOf: url))
        } catch {
            throw MatrixError.badConfig(url.path, "\(error)")
        }
    }
}

public enum MatrixError: Error, CustomStringConvertible {
    case unsetVariable(String, implementation: String)
    case badConfig(String, String)
    case nothingToRun

    public var description: String {
        switch self {
        case .unsetVariable(let name, let impl):
            let hint = name == "PY_PEER_PYTHON" ? " (run scripts/setup-python-peer.sh once: the matrix then finds its venv)" : ""
            return "implementation \(impl) needs ${\(name)}, which is not set\(hint)"
        case .badConfig(let path, let why): return "cannot read \(path): \(why)"
        case .nothingToRun: return "no test matches the filters"
        }
    }
}
