import Foundation
public import KafkaCore

/// Moving a replica between log directories (AlterReplicaLogDirs, Kafka's "future" replicas, KIP-113).
///
/// Lifecycle of one move: `createFutureLog` makes an empty log in `<dir>/<topic>-<partition>.<uuid>-future`
/// starting at the current log's start; the partition copies the current log's batches into it unchanged (offsets
/// and leader epochs kept); once it has caught up, `replaceCurrentWithFutureLog` (called while the partition holds
/// its append lock) renames it to `<dir>/<topic>-<partition>`, opens it as the partition's log, and renames the
/// old directory `-delete`, closing it and removing it after `file.delete.delay.ms` (fetches already reading it
/// finish). A restart in between loads the `-future` log again and the copy resumes; `removeFutureLog` abandons a
/// move. Any thread may call.
extension LogManager {
    /// Whether `directory` is one of `log.dirs` (nil: it is not) and online.
    public func isOnline(_ directory: String) -> Bool? {
        guard configuration.logDirectories.contains(directory) else { return nil }
        return !failures.offlineDirectories.contains(directory)
    }

    /// The copy of `partition` being made in another directory, if a move is in progress.
    public func futureLog(for partition: TopicPartition) -> Log? {
        state.withLock { $0.futureLogs[partition]?.log }
    }

    /// The directory the copy of `partition` is being made in.
    public func futureDirectory(of partition: TopicPartition) -> String? {
        state.withLock { $0.futureLogs[partition]?.directory }
    }

    /// The partitions with a copy being made, and the directory of each.
    public var futureLogDirectories: [TopicPartition: String] {
        state.withLock { $0.futureLogs.mapValues(\.directory) }
    }

    /// Remembers that `partition`'s log, once created, goes to `directory` (Kafka's `maybeUpdatePreferredLogDir`).
    public func setPreferredDirectory(_ directory: String, for partition: TopicPartition) {
        state.withLock { state in
            guard state.logs[partition] == nil else { return }
            state.preferredDirectories[partition] = directory
        }
    }

    /// Starts a copy of `partition`'s log in `directory`, or returns the copy already being made there.
    public func createFutureLog(for partition: TopicPartition, in directory: String) throws(StorageError) -> Log {
        try state.withLock { (state: inout State) throws(StorageError) -> Log in
            guard !state.isShutDown else { throw .logClosed("log manager") }
            guard let current = state.logs[partition] else { throw .logClosed("\(partition)") }
            if let existing = state.futureLogs[partition], existing.directory == directory { return existing.log }
            let name = LogFileNames.directoryName(partition, uniqueSuffix: Self.futureDirectorySuffix)
            let log = try Log.load(
                directory: "\(directory)/\(name)",
                topicPartition: partition,
                config: current.log.config,
                recoveryPoint: 0,
                logStartOffset: 0,
                hadCleanShutdown: true,
                clock: clock,
                logger: logger
            )
            if current.log.logStartOffset > 0 { try log.truncateFully(startingAt: current.log.logStartOffset) }
            state.futureLogs[partition] = (log, directory)
            logger.info(
                "Moving the replica to another log directory",
                metadata: ["partition": "\(partition)", "from": "\(current.directory)", "to": "\(directory)"]
            )
            return log
        }
    }

    /// Abandons the move of `partition`: its copy is closed and removed.
    public func removeFutureLog(for partition: TopicPartition) {
        let removed = state.withLock { $0.futureLogs.removeValue(forKey: partition) }
        guard let removed else { return }
        removed.log.close()
        try? FileManager.default.removeItem(atPath: removed.log.directory)
        logger.info(
            "Abandoned the replica's move",
            metadata: ["partition": "\(partition)", "to": "\(removed.directory)"]
        )
    }

    /// Makes the caught-up copy `partition`'s log (see the type's lifecycle) and returns it. The caller holds the
    /// partition's append lock, so that both logs end at the same offset.
    public func replaceCurrentWithFutureLog(for partition: TopicPartition) throws(StorageError) -> Log {
        let now = clock.milliseconds
        return try state.withLock { (state: inout State) throws(StorageError) -> Log in
            guard let future = state.futureLogs[partition], let current = state.logs[partition] else {
                throw .logClosed("\(partition)")
            }
            let config = current.log.config
            future.log.updateConfig(config)
            let (recoveryPoint, startOffset) = (future.log.logEndOffset, future.log.logStartOffset)
            future.log.close()
            let target = "\(future.directory)/\(LogFileNames.directoryName(partition))"
            guard rename(future.log.directory, target) == 0 else {
                throw .io(operation: "rename", path: future.log.directory, errno: errno)
            }
            let replacement = try Log.load(
                directory: target,
                topicPartition: partition,
                config: config,
                recoveryPoint: recoveryPoint,
                logStartOffset: startOffset,
                hadCleanShutdown: true,
                clock: clock,
                logger: logger
            )
            let retired =
                "\(current.directory)/\(LogFileNames.directoryName(partition, uniqueSuffix: Self.deleteDirectorySuffix))"
            if rename(current.log.directory, retired) != 0 {
                logger.error(
                    "Could not rename the moved replica's old directory (errno \(errno)); it stays until removed by hand",
                    metadata: ["partition": "\(partition)", "path": "\(current.log.directory)"]
                )
            } else {
                state.pendingDirectoryDeletions.append((retired, now + config.fileDeleteDelayMs, current.log))
            }
            state.futureLogs[partition] = nil
            state.logs[partition] = (replacement, future.directory)
            logger.info(
                "Moved the replica to another log directory",
                metadata: [
                    "partition": "\(partition)", "from": "\(current.directory)", "to": "\(future.directory)",
                    "logEndOffset": "\(recoveryPoint)",
                ]
            )
            return replacement
        }
    }
}
