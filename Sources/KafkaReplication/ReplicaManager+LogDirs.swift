import Dispatch
public import KafkaCore
import KafkaStorage

/// Moving replicas between this broker's log directories: AlterReplicaLogDirs decides (Kafka 2.8's
/// `ReplicaManager.alterReplicaLogDirs`, decision by decision), and the broker's `replica-alter-log-dirs` task
/// copies and swaps (`moveFutureLogs`, Kafka's `ReplicaAlterLogDirsThread`). See `LogManager+FutureLogs` for the
/// files and `Partition+FutureLog` for the locking.
extension ReplicaManager {
    /// Moves `partition`'s replica to `directory`. NONE when the move is under way or not needed;
    /// LOG_DIR_NOT_FOUND for a directory not in `log.dirs`, KAFKA_STORAGE_ERROR for an offline one,
    /// REPLICA_NOT_AVAILABLE for a replica this broker does not host yet (its log will be created in `directory`
    /// when it comes), INVALID_TOPIC_EXCEPTION for a name too long for the copy's directory.
    public func alterReplicaLogDir(_ partition: TopicPartition, to directory: String) -> KafkaErrorCode {
        let futureName = LogFileNames.directoryName(partition, uniqueSuffix: LogManager.futureDirectorySuffix)
        guard futureName.utf8.count <= 255 else { return .invalidTopicException }
        switch logManager.isOnline(directory) {
        case nil: return .logDirNotFound
        case false?: return .kafkaStorageError
        case true?: break
        }
        let hosted = self.partition(partition)
        // A move to another directory stops; a move to this one goes on.
        if let hosted, let moving = logManager.futureDirectory(of: partition), moving != directory {
            hosted.detachFutureLog()
            logManager.removeFutureLog(for: partition)
        }
        logManager.setPreferredDirectory(directory, for: partition)
        guard let hosted else { return .replicaNotAvailable }
        guard logManager.directory(of: partition) != directory, logManager.futureDirectory(of: partition) == nil
        else { return .none }
        do {
            hosted.attachFutureLog(try logManager.createFutureLog(for: partition, in: directory))
            return .none
        } catch {
            logger.warning("Cannot move \(partition) to \(directory): \(error)")
            return error.errorCode
        }
    }

    /// Hands a copy loaded at startup back to its partition, so the move resumes.
    func resumeMove(of partition: Partition) {
        if partition.futureLog == nil, let future = logManager.futureLog(for: partition.topicPartition) {
            partition.attachFutureLog(future)
        }
    }

    /// One pass of the mover: copies up to `budget` bytes into the future logs, on a Dispatch thread, and swaps
    /// each one that has caught up. A failure abandons that move (logged) and leaves the current log serving.
    public func moveFutureLogs(budget: Int = 64 << 20) async {
        let moving = allPartitions.filter { $0.futureLog != nil }
        guard !moving.isEmpty else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                var left = budget
                for partition in moving where left > 0 {
                    left -= self.move(partition, budget: left)
                }
                continuation.resume()
            }
        }
    }

    private func move(_ partition: Partition, budget: Int) -> Int {
        let topicPartition = partition.topicPartition
        var copied = 0
        do {
            while copied < budget {
                let step = try partition.copyToFutureLog(maxBytes: min(1 << 20, budget - copied))
                copied += step.copied
                if step.caughtUp {
                    try partition.completeMove { () throws(StorageError) -> Log in
                        try logManager.replaceCurrentWithFutureLog(for: topicPartition)
                    }
                    partition.waiters.notify()
                    return copied
                }
                if step.copied == 0 { return copied }
            }
        } catch {
            logger.error("Moving \(topicPartition) to another log directory failed, abandoned: \(error)")
            partition.detachFutureLog()
            logManager.removeFutureLog(for: topicPartition)
        }
        return copied
    }
}
