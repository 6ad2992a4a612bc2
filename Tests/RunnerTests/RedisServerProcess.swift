#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import InteropRunner
@testable import InteropMatrix

/// A throwaway `redis-server` on a free loopback port, for tests: no persistence,
/// output discarded, killed by `stop()` (tests call it in a `defer`). Run as the
/// project's posix_spawn `ChildProcess`: Foundation's `Process` left objects behind
/// that LeakSanitizer reported.
final class RedisServerProcess: Sendable {
    static let executable = "/usr/bin/redis-server"

    let port: Int
    private let process: ChildProcess

    /// `host:port` for `RedisClient.connect`.
    var address: String { "127.0.0.1:\(port)" }

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    /// Starts a server on `port` (a free one by default) and waits until it accepts
    /// connections.
    static func start(port: Int? = nil, readyWithin limit: Duration = .seconds(10)) async throws -> RedisServerProcess {
        let port = try port ?? FreePort.find()
        let devNull = URL(fileURLWithPath: "/dev/null")
        let process = try ChildProcess(
            command: [executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            environment: [:], stdout: devNull, stderr: devNull)
        let server = RedisServerProcess(port: port, process: process)
        let deadline = ContinuousClock.now + limit
        while !acceptsConnections(port: port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                server.stop()
                throw ServerError("redis-server on port \(port) did not become ready within \(limit)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return server
    }

    /// Kills the server (SIGKILL: no goodbye to its clients) and reaps it. Idempotent.
    func stop() {
        if process.isRunning { kill(process.pid, SIGKILL) }
        // SIGKILL cannot be ignored: it is reaped (by `isRunning`) within milliseconds.
        while process.isRunning { usleep(1_000) }
    }

    private static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
