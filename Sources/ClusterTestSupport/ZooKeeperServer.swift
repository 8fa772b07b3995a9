public import Foundation
import Synchronization

/// One Apache ZooKeeper 3.8 server from Debian's `zookeeper` package, run as its own JVM on loopback.
///
/// Layout under `directory`: `zoo.cfg`, `log4j.properties`, `data/` (with `myid` in an ensemble) and
/// `zookeeper.log`. Lifecycle: `start()` → serving → `stop()`/`kill()` → `start()` again with the same data
/// (a restart) …; `pause()`/`resume()` hang and wake the running JVM. Used by one test at a time.
public final class ZooKeeperServer: Sendable {
    /// 1-based id in the ensemble (`myid`); 1 for a standalone server.
    public let id: Int
    public let clientPort: Int
    public let directory: URL
    private let current = Mutex<ManagedProcess?>(nil)

    static let classpath = [
        "/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar",
    ].joined(separator: ":")

    init(id: Int, clientPort: Int, directory: URL, configuration: String) throws {
        self.id = id
        self.clientPort = clientPort
        self.directory = directory
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "\(id)\n".write(to: data.appendingPathComponent("myid"), atomically: true, encoding: .utf8)
        try configuration.replacingOccurrences(of: "@DATA@", with: data.path)
            .write(to: directory.appendingPathComponent("zoo.cfg"), atomically: true, encoding: .utf8)
        try Self.log4j.write(
            to: directory.appendingPathComponent("log4j.properties"),
            atomically: true,
            encoding: .utf8
        )
    }

    private static let log4j = """
        log4j.rootLogger=INFO, CONSOLE
        log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
        log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
        log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n

        """

    public var process: ManagedProcess? { current.withLock { $0 } }
    public var pid: Int32? { process?.pid }
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Starts the JVM (again, after a stop or kill, on the same data). Returns without waiting for it to serve.
    public func start() throws {
        if isRunning { return }
        let process = try ManagedProcess.start(
            executable: "/usr/bin/java",
            arguments: [
                "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.root.logger=INFO,CONSOLE",
                "-Dlog4j.configuration=file:\(directory.appendingPathComponent("log4j.properties").path)",
                "-cp", Self.classpath,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                directory.appendingPathComponent("zoo.cfg").path,
            ],
            logFile: directory.appendingPathComponent("zookeeper.log")
        )
        current.withLock { $0 = process }
    }

    /// Waits until `srvr` reports a mode (the node serves clients).
    public func waitUntilServing(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await FourLetterWord.servingMode(port: clientPort) != nil { return }
            if let process, !process.isRunning {
                throw HarnessError("ZooKeeper \(id) exited during startup:\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("ZooKeeper \(id) did not serve on port \(clientPort) within \(timeout)")
    }

    /// "standalone", "leader" or "follower" while serving; nil otherwise.
    public func mode() async -> String? { await FourLetterWord.servingMode(port: clientPort) }

    public func stop() async { await process?.stop() }
    public func kill() async { await process?.kill() }
    public func pause() { process?.pause() }
    public func resume() { process?.resume() }

    /// Stops (SIGTERM) and starts the server again, then waits until it serves.
    public func restart() async throws {
        await stop()
        try start()
        try await waitUntilServing()
    }
}
