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
import LibP2PCore

/// A child process whose stdout and stderr go to files, awaited without blocking
/// a thread, and killed when its time is up.
///
/// Started with `posix_spawn` rather than Foundation's `Process`, which lives in the
/// full Foundation: linking that (and ICU with it) into the interop binary costs
/// every process the harness starts a few milliseconds of start-up and a larger
/// table of protocol conformances to scan on the measured path. (swift-subprocess
/// runs a child only inside a closure's scope; the matrix holds children — Redis,
/// a listener — across other work, so this small owner object stays.)
final class ChildProcess: Sendable {
    let pid: pid_t
    let stdoutURL: URL
    let stderrURL: URL
    /// The exit status once reaped (`waitpid` may reap only once), or the signal
    /// that ended it, as a negative number.
    private let exit = LockedState<Int32?>(nil)

    /// How often an exit is looked for: short enough not to slow a pair of
    /// processes that end in milliseconds, long enough to cost nothing.
    private static let pollInterval = Duration.milliseconds(2)

    /// Starts `command` with `environment` (added to nothing: the child sees only
    /// what is passed, plus PATH, HOME and LANG from ours).
    init(command: [String], environment: [String: String], stdout: URL, stderr: URL) throws {
        guard let executable = command.first else { throw ChildProcessError.emptyCommand }
        let path = Self.resolve(executable)
        var env = environment
        let ours = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG"] where env[key] == nil { env[key] = ours[key] }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv = ([path] + command.dropFirst()).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else {
            throw ChildProcessError.spawnFailed(path, reason: String(cString: strerror(result)))
        }
        self.pid = pid
        self.stdoutURL = stdout
        self.stderrURL = stderr
    }

    /// Reaps the child if it has ended; its status, or nil while it runs.
    private func poll() -> Int32? {
        exit.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (macros).
            let signal = status & 0x7f
            reaped = signal == 0 ? (status >> 8) & 0xff : -signal
            return reaped
        }
    }

    var isRunning: Bool { poll() == nil }

    /// Waits for exit; after `timeout`, sends SIGTERM, then SIGKILL a second later.
    /// Returns the exit status, or nil when it had to be killed.
    func wait(timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let status = poll() { return status }
            do { try await Task.sleep(for: Self.pollInterval) } catch { break }
        }
        if let status = poll() { return status }
        await terminate()
        return nil
    }

    /// SIGTERM, then SIGKILL if it is still running a second later; returns once reaped.
    func terminate() async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<20 {
            if !isRunning { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        // SIGKILL cannot be ignored: the child is gone as soon as the kernel has run it down.
        while isRunning { try? await Task.sleep(for: Self.pollInterval) }
    }

    /// A child that is dropped while running would be left behind: kill and reap it.
    deinit {
        if poll() == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    var stdoutText: String { OutputFile.text(atPath: stdoutURL.path) }
    var stderrText: String { OutputFile.text(atPath: stderrURL.path) }

    static func resolve(_ executable: String) -> String {
        if executable.contains("/") { return executable }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return executable
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case emptyCommand
    case spawnFailed(String, reason: String)

    var description: String {
        switch self {
        case .emptyCommand: return "empty command"
        case .spawnFailed(let path, let reason): return "cannot start \(path): \(reason)"
        }
    }
}
