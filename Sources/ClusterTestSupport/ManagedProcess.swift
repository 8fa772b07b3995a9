public import Foundation
import Synchronization

/// A child process the harness started, controlled by its PID: graceful stop (SIGTERM), crash (SIGKILL),
/// hang (SIGSTOP) and resume (SIGCONT).
///
/// Lifecycle: running from `start` until it exits; `stop`/`kill` wait for the exit, so the child is always
/// reaped. Its standard output and error go to `logFile`. Any task may use it.
public final class ManagedProcess: Sendable {
    public let pid: Int32
    public let logFile: URL
    private let process: Mutex<Process>

    public static func start(
        executable: String,
        arguments: [String],
        environment: [String: String]? = nil,
        workingDirectory: URL? = nil,
        logFile: URL
    ) throws -> ManagedProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        TestDirectory.register(pid: process.processIdentifier)
        return ManagedProcess(process: process, logFile: logFile)
    }

    private init(process: Process, logFile: URL) {
        self.pid = process.processIdentifier
        self.logFile = logFile
        self.process = Mutex(process)
    }

    public var isRunning: Bool { process.withLock { $0.isRunning } }

    /// SIGTERM, then wait for the exit; SIGKILL if it has not exited after `grace`.
    public func stop(grace: Duration = .seconds(10)) async {
        guard isRunning else { return }
        Glibc.kill(pid, SIGCONT)  // a paused process cannot act on SIGTERM
        Glibc.kill(pid, SIGTERM)
        if await waitForExit(timeout: grace) { return }
        await kill()
    }

    /// SIGKILL (a crash), then wait for the exit.
    public func kill() async {
        guard isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        _ = await waitForExit(timeout: .seconds(30))
    }

    /// SIGSTOP: the process hangs, its sockets stay open.
    public func pause() { Glibc.kill(pid, SIGSTOP) }

    /// SIGCONT after `pause()`.
    public func resume() { Glibc.kill(pid, SIGCONT) }

    /// Polls until the process has exited (and is reaped); false if it still runs after `timeout`.
    public func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        TestDirectory.unregister(pid: pid)
        return true
    }

    /// The last `lines` lines of the log, for failure messages.
    public func logTail(lines: Int = 40) -> String {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
