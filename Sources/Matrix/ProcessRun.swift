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

/// What a finished child process left: its exit status (nil when it had to be
/// killed at its timeout) and its output.
public struct ProcessOutput: Sendable {
    public let status: Int32?
    public let stdout: String
    public let stderr: String
}

/// Runs a command to completion without blocking a thread of Swift's cooperative
/// pool (tests and the matrix run many at once on two cores).
public enum ProcessRun {
    public static func run(
        _ command: [String], arguments: [String] = [], environment: [String: String] = [:], timeout: Duration
    ) async throws -> ProcessOutput {
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let child = try ChildProcess(
            command: command + arguments, environment: environment,
            stdout: dir.appendingPathComponent("run-\(id).out"), stderr: dir.appendingPathComponent("run-\(id).err"))
        let status = await child.wait(timeout: timeout)
        let output = ProcessOutput(status: status, stdout: child.stdoutText, stderr: child.stderrText)
        try? FileManager.default.removeItem(at: child.stdoutURL)
        try? FileManager.default.removeItem(at: child.stderrURL)
        return output
    }
}
