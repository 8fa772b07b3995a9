public import Foundation

/// A real ZooKeeper deployment for tests: one standalone server or an ensemble of several, on free loopback
/// ports with temporary data directories.
///
/// Lifecycle: `start` → the test uses `connectString` and the `servers` → `shutdown()` stops every JVM and
/// removes the directories. `withZooKeeper` wraps all of it so that cleanup also happens when the test fails.
public final class ZooKeeperEnsemble: Sendable {
    public let servers: [ZooKeeperServer]
    public let directory: URL

    /// `host:port,host:port,...` of every member.
    public var connectString: String {
        servers.map { "127.0.0.1:\($0.clientPort)" }.joined(separator: ",")
    }

    /// `connectString` with a chroot suffix.
    public func connectString(chroot: String) -> String { connectString + chroot }

    /// Starts `size` servers (1: standalone) and waits until all serve. `tickTime` bounds the session timeouts
    /// the servers grant ([2, 20] × tickTime); 500 ms allows sessions from 1 s and fast failure detection.
    /// `forceSync: false` (tests) skips the fsync of each transaction; benchmarks measure with it on.
    public static func start(
        size: Int = 1,
        tickTime: Int = 500,
        forceSync: Bool = false
    ) async throws
        -> ZooKeeperEnsemble
    {
        precondition(size >= 1)
        let directory = try TestDirectory.make(prefix: "swiftkafka-zk")
        let ports = try FreePort.allocate(size * 3)
        var servers: [ZooKeeperServer] = []
        let quorum =
            (size == 1)
            ? ""
            : (1...size).map { id in
                "server.\(id)=127.0.0.1:\(ports[size + (id - 1) * 2]):\(ports[size + (id - 1) * 2 + 1])"
            }.joined(separator: "\n")
        do {
            for id in 1...size {
                let configuration = """
                    tickTime=\(tickTime)
                    initLimit=10
                    syncLimit=2
                    dataDir=@DATA@
                    clientPort=\(ports[id - 1])
                    clientPortAddress=127.0.0.1
                    maxClientCnxns=0
                    admin.enableServer=false
                    4lw.commands.whitelist=srvr,ruok,stat,mntr,conf,cons,wchs,isro
                    preAllocSize=1024
                    snapCount=10000
                    forceSync=\(forceSync ? "yes" : "no")
                    \(quorum)

                    """
                let server = try ZooKeeperServer(
                    id: id,
                    clientPort: ports[id - 1],
                    directory: directory.appendingPathComponent("zk\(id)"),
                    configuration: configuration
                )
                servers.append(server)
                try server.start()
            }
            let ensemble = ZooKeeperEnsemble(servers: servers, directory: directory)
            for server in servers { try await server.waitUntilServing() }
            return ensemble
        } catch {
            for server in servers { await server.kill() }
            TestDirectory.remove(directory)
            throw error
        }
    }

    private init(servers: [ZooKeeperServer], directory: URL) {
        self.servers = servers
        self.directory = directory
    }

    /// The member currently leading (nil for a standalone server or while electing).
    public func leader() async -> ZooKeeperServer? {
        for server in servers where await server.mode() == "leader" { return server }
        return nil
    }

    /// The member whose client port is `port`.
    public func server(clientPort port: Int) -> ZooKeeperServer? {
        servers.first { $0.clientPort == port }
    }

    /// Stops every server and removes the directories. Keeps the directories when `SWIFTKAFKA_KEEP_TEST_DIRS`
    /// is set, for reading the servers' logs.
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { await server.stop() } }
        }
        if ProcessInfo.processInfo.environment["SWIFTKAFKA_KEEP_TEST_DIRS"] == nil {
            TestDirectory.remove(directory)
        }
    }
}

/// Runs `body` against a fresh ZooKeeper deployment and always shuts it down afterwards, whether `body`
/// returns or throws.
public func withZooKeeper<Result: Sendable>(
    size: Int = 1,
    tickTime: Int = 500,
    _ body: (ZooKeeperEnsemble) async throws -> Result
) async throws -> Result {
    let ensemble = try await ZooKeeperEnsemble.start(size: size, tickTime: tickTime)
    do {
        let result = try await body(ensemble)
        await ensemble.shutdown()
        return result
    } catch {
        await ensemble.shutdown()
        throw error
    }
}
