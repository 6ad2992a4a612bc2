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

/// A private `redis-server` on a free loopback port, for the local matrix and for
/// tests: started, waited for until it answers, stopped.
public final class RedisServer: Sendable {
    public let port: Int
    public let host: String
    private let child: ChildProcess
    private let directory: URL

    public var address: String { "\(host):\(port)" }

    /// Starts one and waits (up to 10 s) until it accepts connections.
    /// `launcher` and `bindAddresses` let a caller bind more addresses or use a
    /// network namespace; `port` asks for that port (a test that must know it before
    /// Redis is up), else a free one is found.
    public static func start(
        host: String = "127.0.0.1", port fixedPort: Int? = nil, launcher: [String] = [], bindAddresses: [String]? = nil
    ) async throws -> RedisServer {
        var lastError: (any Error)?
        for _ in 0..<(fixedPort == nil ? 5 : 1) {
            let port = try fixedPort ?? FreePort.find()
            do {
                return try await RedisServer(host: host, port: port, launcher: launcher, bind: bindAddresses ?? [host])
            } catch {
                lastError = error  // the port was taken in between: try another
            }
        }
        throw lastError ?? RedisServerError.didNotStart("unknown reason")
    }

    private init(host: String, port: Int, launcher: [String], bind: [String]) async throws {
        self.host = host
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let command = launcher + [
            ChildProcess.resolve("redis-server"), "--port", "\(port)", "--bind", bind.joined(separator: " "),
            "--save", "", "--appendonly", "no", "--dir", directory.path, "--protected-mode", "no",
        ]
        child = try ChildProcess(
            command: command, environment: [:],
            stdout: directory.appendingPathComponent("stdout.log"), stderr: directory.appendingPathComponent("stderr.log"))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if child.stdoutText.contains("Ready to accept connections") { return }
            if !child.isRunning {
                throw RedisServerError.didNotStart(child.stdoutText.split(separator: "\n").suffix(3).joined(separator: " | "))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        await child.terminate()
        throw RedisServerError.didNotStart("not ready within 10 s")
    }

    public func stop() async {
        await child.terminate()
        try? FileManager.default.removeItem(at: directory)
    }
}

public enum RedisServerError: Error, CustomStringConvertible {
    case didNotStart(String)
    public var description: String {
        switch self {
        case .didNotStart(let why): return "redis-server did not start: \(why)"
        }
    }
}

/// A TCP port that was free a moment ago.
public enum FreePort {
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerError.didNotStart("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard bound else { throw RedisServerError.didNotStart("cannot find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
