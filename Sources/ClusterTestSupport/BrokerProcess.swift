public import Foundation
import Synchronization

/// A `swiftkafka-broker` process for tests: its own `server.properties`, log directory and free port on
/// 127.0.0.1, controlled by PID like the ZooKeeper servers (stop = SIGTERM, kill = SIGKILL, restart on the same
/// data).
///
/// The executable is the one built beside the test bundle (`.build/<config>/swiftkafka-broker`), or
/// `$SWIFTKAFKA_BROKER` when set. Lifecycle: `start` → `waitUntilReady` → … → `stop()`; the directory is removed by
/// `remove()`.
public final class BrokerProcess: Sendable {
    public let id: Int32
    public let port: Int
    public let directory: URL
    private let current = Mutex<ManagedProcess?>(nil)

    public var bootstrap: String { "127.0.0.1:\(port)" }
    public var logDirectory: URL { directory.appendingPathComponent("logs") }
    public var logFile: URL { directory.appendingPathComponent("broker.log") }

    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["SWIFTKAFKA_BROKER"] { return URL(fileURLWithPath: path) }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("swiftkafka-broker")
    }

    /// Writes the broker's properties and starts it. `properties` add to or replace the defaults here (`{port}` in a
    /// value stands for `port`).
    public static func start(id: Int32, zookeeper: String, properties: [String: String] = [:]) throws -> BrokerProcess {
        let directory = try TestDirectory.make(prefix: "swiftkafka-broker-\(id)")
        let port = try FreePort.allocate()[0]
        let broker = BrokerProcess(id: id, port: port, directory: directory)
        var values: [String: String] = [
            "broker.id": "\(id)",
            "listeners": "PLAINTEXT://127.0.0.1:\(port)",
            "log.dirs": broker.logDirectory.path,
            "zookeeper.connect": zookeeper,
            "zookeeper.session.timeout.ms": "6000",
            "num.partitions": "3",
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "log.flush.offset.checkpoint.interval.ms": "1000",
        ]
        // `{port}` in a value is the broker's own port (for tests that add listeners beside the PLAINTEXT one).
        values.merge(properties.mapValues { $0.replacingOccurrences(of: "{port}", with: "\(port)") }) { $1 }
        let text = values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n"
        try text.write(to: directory.appendingPathComponent("server.properties"), atomically: true, encoding: .utf8)
        try broker.start()
        return broker
    }

    private init(id: Int32, port: Int, directory: URL) {
        self.id = id
        self.port = port
        self.directory = directory
    }

    public var process: ManagedProcess? { current.withLock { $0 } }
    public var pid: Int32? { process?.pid }
    public var isRunning: Bool { process?.isRunning ?? false }

    public func start() throws {
        if isRunning { return }
        let process = try ManagedProcess.start(
            executable: Self.executable.path,
            arguments: [directory.appendingPathComponent("server.properties").path, "--log-level", "info"],
            logFile: logFile
        )
        current.withLock { $0 = process }
    }

    /// Waits until the broker accepts connections and has registered itself.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let process, !process.isRunning {
                throw HarnessError("broker \(id) exited during startup:\n\(process.logTail())")
            }
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if log.components(separatedBy: "Started broker").count - 1 >= startsExpected {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("broker \(id) did not start within \(timeout):\n\(process?.logTail() ?? "")")
    }

    private let starts = Mutex(0)
    private var startsExpected: Int { starts.withLock { $0 } + 1 }

    /// SIGTERM: a clean shutdown.
    public func stop() async {
        if isRunning { starts.withLock { $0 += 1 } }
        await process?.stop(grace: .seconds(30))
    }

    /// SIGKILL: a crash.
    public func kill() async {
        if isRunning { starts.withLock { $0 += 1 } }
        await process?.kill()
    }

    /// Stops (SIGTERM) or kills the broker, starts it again on the same data, and waits until it is ready.
    public func restart(crash: Bool = false) async throws {
        if crash { await kill() } else { await stop() }
        try start()
        try await waitUntilReady()
    }

    public func logTail(lines: Int = 60) -> String { process?.logTail(lines: lines) ?? "" }

    public func remove() {
        if ProcessInfo.processInfo.environment["SWIFTKAFKA_KEEP_TEST_DIRS"] == nil {
            TestDirectory.remove(directory)
        }
    }
}

/// Runs `body` against a ZooKeeper server and `count` brokers, always stopping everything afterwards.
public func withCluster<Result: Sendable>(
    brokers count: Int = 1,
    properties: [String: String] = [:],
    _ body: (ZooKeeperEnsemble, [BrokerProcess]) async throws -> Result
) async throws -> Result {
    try await withCluster(brokers: count, propertiesFor: { _ in properties }, body)
}

/// As `withCluster(brokers:properties:_:)`, with each broker's properties made for its id (its own extra ports).
public func withCluster<Result: Sendable>(
    brokers count: Int,
    propertiesFor: (Int32) throws -> [String: String],
    _ body: (ZooKeeperEnsemble, [BrokerProcess]) async throws -> Result
) async throws -> Result {
    try await withZooKeeper { ensemble in
        var brokers: [BrokerProcess] = []
        do {
            for id in 1...count {
                brokers.append(
                    try BrokerProcess.start(
                        id: Int32(id),
                        zookeeper: ensemble.connectString(chroot: "/kafka"),
                        properties: try propertiesFor(Int32(id))
                    )
                )
            }
            for broker in brokers { try await broker.waitUntilReady() }
            let result = try await body(ensemble, brokers)
            for broker in brokers {
                await broker.stop()
                broker.remove()
            }
            return result
        } catch {
            for broker in brokers {
                print("--- broker \(broker.id) log ---\n\(broker.logTail())")
                await broker.kill()
                broker.remove()
            }
            throw error
        }
    }
}
