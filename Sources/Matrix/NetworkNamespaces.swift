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

/// Two network namespaces joined by a veth pair, as two containers are: the
/// listener must publish its real interface address, and the dialer reaches it
/// across an interface. Needs root. The addresses live only on the veth pair inside
/// the namespaces this creates; `remove()` deletes both namespaces (and with them
/// the veth pair).
public struct NetworkNamespaces: Sendable {
    public let listenerNamespace: String
    public let dialerNamespace: String
    public let listenerAddress: String
    public let dialerAddress: String

    public var listenerLauncher: [String] { ["ip", "netns", "exec", listenerNamespace] }
    public var dialerLauncher: [String] { ["ip", "netns", "exec", dialerNamespace] }

    public static var isSupported: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ChildProcess.resolve("ip")) }

    public static func create() async throws -> NetworkNamespaces {
        guard isSupported else {
            throw NetworkNamespaceError.failed("network namespaces need root and iproute2's `ip`")
        }
        let tag = String(UInt32.random(in: 0...UInt32.max) & 0xFFFFF, radix: 16)
        let subnet = Int.random(in: 0...255)
        let ns = NetworkNamespaces(
            listenerNamespace: "l2pi-\(tag)-l", dialerNamespace: "l2pi-\(tag)-d",
            listenerAddress: "10.199.\(subnet).1", dialerAddress: "10.199.\(subnet).2")
        let (vethL, vethD) = ("l2pi\(tag)l", "l2pi\(tag)d")
        let steps: [[String]] = [
            ["ip", "netns", "add", ns.listenerNamespace],
            ["ip", "netns", "add", ns.dialerNamespace],
            ["ip", "link", "add", vethL, "netns", ns.listenerNamespace, "type", "veth", "peer", "name", vethD, "netns", ns.dialerNamespace],
            ["ip", "-n", ns.listenerNamespace, "addr", "add", "\(ns.listenerAddress)/30", "dev", vethL],
            ["ip", "-n", ns.dialerNamespace, "addr", "add", "\(ns.dialerAddress)/30", "dev", vethD],
            ["ip", "-n", ns.listenerNamespace, "link", "set", vethL, "up"],
            ["ip", "-n", ns.dialerNamespace, "link", "set", vethD, "up"],
            ["ip", "-n", ns.listenerNamespace, "link", "set", "lo", "up"],
            ["ip", "-n", ns.dialerNamespace, "link", "set", "lo", "up"],
        ]
        do {
            for step in steps { try await run(step) }
        } catch {
            await ns.remove()
            throw error
        }
        return ns
    }

    public func remove() async {
        for name in [listenerNamespace, dialerNamespace] {
            try? await Self.run(["ip", "netns", "delete", name])
        }
    }

    static func run(_ command: [String]) async throws {
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let child = try ChildProcess(
            command: command, environment: [:],
            stdout: dir.appendingPathComponent("netns-\(id).out"), stderr: dir.appendingPathComponent("netns-\(id).err"))
        let status = await child.wait(timeout: .seconds(10))
        let message = String(child.stderrText.trimmingWhitespace())
        try? FileManager.default.removeItem(at: child.stdoutURL)
        try? FileManager.default.removeItem(at: child.stderrURL)
        guard status == 0 else {
            throw NetworkNamespaceError.failed("`\(command.joined(separator: " "))` failed: \(message)")
        }
    }
}

public enum NetworkNamespaceError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self {
        case .failed(let why): return "network namespaces: \(why)"
        }
    }
}
