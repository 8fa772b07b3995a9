import KafkaCore
public import Synchronization

/// Kafka's `LogDirFailureChannel`, for the case every deployment has (one log directory): an I/O error on a log's
/// write path (a full disk, EIO) takes that log's directory offline, and once every directory of `log.dirs` is
/// offline the broker stops (Kafka 2.8: "Shutdown broker because all log dirs in ... have failed", `Exit.halt`),
/// so that its partitions are led elsewhere instead of answering KAFKA_STORAGE_ERROR for ever.
///
/// Reported by whoever appends (`ReplicaManager` for a leader, `ReplicaFetcher` for a follower); the broker sets
/// the handler once at start-up. Taking only some directories offline (KIP-112's moving of their partitions while
/// the others serve) is not done: a broker with several directories goes on with the failed one's partitions
/// answering KAFKA_STORAGE_ERROR.
public final class LogDirectoryFailures: Sendable {
    private struct State {
        var offline: Set<String> = []
        var allFailed: (@Sendable (_ reason: String) -> Void)?
    }

    private let state = Mutex(State())
    let directories: [String]

    init(directories: [String]) {
        self.directories = directories
    }

    /// Sets what happens once every directory has failed (the broker halts).
    public func onAllFailed(_ handler: @escaping @Sendable (_ reason: String) -> Void) {
        state.withLock { $0.allFailed = handler }
    }

    public var offlineDirectories: Set<String> { state.withLock { $0.offline } }

    /// Records that `directory` failed with `error`; only I/O errors take a directory offline. Returns true when the
    /// directory was online until now.
    @discardableResult
    func report(_ directory: String, _ error: StorageError) -> Bool {
        guard case .io = error else { return false }
        let (first, handler) = state.withLock { state in
            let first = state.offline.insert(directory).inserted
            let all = Set(directories).isSubset(of: state.offline)
            return (first, all && first ? state.allFailed : nil)
        }
        handler?("all log dirs in \(directories.joined(separator: ",")) have failed; the last: \(error)")
        return first
    }
}
