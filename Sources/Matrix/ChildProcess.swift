import Foundation

/// A child process whose stdout and stderr go to files, awaited without blocking
/// a thread, and killed when its time is up.
final class ChildProcess: Sendable {
    let process: Process
    let stdoutURL: URL
    let stderrURL: URL
    private let exited: AsyncStream<Int32>

    /// Starts `command` with `environment` (added to nothing: the child sees only
    /// what is passed, plus PATH and HOME from ours).
    init(command: [String], environment: [String: String], stdout: URL, stderr: URL) throws {
        guard let executable = command.first else { throw ChildProcessError.emptyCommand }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.resolve(executable))
        process.arguments = Array(command.dropFirst())
        var env = environment
        let ours = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG"] where env[key] == nil { env[key] = ours[key] }
        process.environment = env
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = { p in
            continuation.yield(p.terminationStatus)
            continuation.finish()
        }
        self.process = process
        self.stdoutURL = stdout
        self.stderrURL = stderr
        self.exited = stream
        try process.run()
    }

    /// Waits for exit; after `timeout`, sends SIGTERM, then SIGKILL a second later.
    /// Returns the exit status, or nil when it had to be killed.
    func wait(timeout: Duration) async -> Int32? {
        let status: Int32?? = await withTaskGroup(of: Int32??.self) { group in
            group.addTask {
                for await status in self.exited { return .some(status) }
                return .some(nil)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .some(nil)
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if let status, let code = status { return code }
        await terminate()
        return nil
    }

    /// SIGTERM, then SIGKILL if it is still running a second later.
    func terminate() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<20 {
            if !process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for await _ in exited {}
    }

    var stdoutText: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderrText: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    static func resolve(_ executable: String) -> String {
        if executable.contains("/") { return executable }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return executable
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case emptyCommand
    var description: String { "empty command" }
}
