import Foundation
import Synchronization

/// One standalone ZooKeeper server shared by every test in the process that needs only a working server (not
/// one to break). Each such test works under a chroot of its own, so tests do not see each other's nodes.
///
/// Lifecycle: started by the first `SharedZooKeeper.connectString()` call; stopped (SIGKILL, it holds only
/// throwaway data) and its directory removed when the test process exits, through `atexit`.
public enum SharedZooKeeper {
    private static let ensemble = Task<ZooKeeperEnsemble, any Error> {
        let ensemble = try await ZooKeeperEnsemble.start(size: 1)
        if let pid = ensemble.servers.first?.pid { sharedPID.store(pid, ordering: .relaxed) }
        sharedDirectory.withLock { $0 = ensemble.directory.path }
        atexit {
            let pid = SharedZooKeeper.sharedPID.load(ordering: .relaxed)
            if pid > 0 {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                TestDirectory.unregister(pid: pid)
            }
            if let directory = SharedZooKeeper.sharedDirectory.withLock({ $0 }) {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return ensemble
    }
    private static let sharedPID = Atomic<Int32>(0)
    private static let sharedDirectory = Mutex<String?>(nil)

    /// The shared server's connect string (without chroot).
    public static func connectString() async throws -> String {
        try await ensemble.value.connectString
    }
}
