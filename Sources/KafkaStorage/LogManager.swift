import Dispatch
import Foundation
public import KafkaCore
public import Logging
import Synchronization

/// Every partition log of a broker, across its `log.dirs`.
///
/// Lifecycle: `init` locks each directory (a `.lock` file held with flock, so two brokers cannot share one);
/// `startup()` loads every partition found there in parallel on Dispatch threads, recovering those an unclean
/// shutdown left behind (no `.kafka_cleanshutdown` marker), from their checkpointed recovery points; the broker
/// then creates, reads and deletes logs, and calls the periodic tasks (retention, flush, checkpoints);
/// `shutdown()` flushes and closes every log, writes the checkpoints and the clean-shutdown marker, and releases
/// the locks. Any thread may call any method.
public final class LogManager: Sendable {
    public struct Configuration: Sendable {
        /// `log.dirs`.
        public var logDirectories: [String]
        /// The topic defaults from the broker's `log.*` settings.
        public var defaultConfig: LogConfig

        public init(logDirectories: [String], defaultConfig: LogConfig = LogConfig()) {
            self.logDirectories = logDirectories
            self.defaultConfig = defaultConfig
        }
    }

    public static let cleanShutdownFile = ".kafka_cleanshutdown"
    public static let lockFile = ".lock"
    /// Kafka 2.8 renames a deleted partition's directory to `<topic>-<partition>.<uuid>-delete`.
    public static let deleteDirectorySuffix = "-delete"
    /// A replica being moved to another log directory (AlterReplicaLogDirs) is copied into
    /// `<topic>-<partition>.<uuid>-future` there.
    public static let futureDirectorySuffix = "-future"

    public let configuration: Configuration
    /// Directories taken offline by I/O errors, and what happens when all are (`LogDirectoryFailures`).
    public let failures: LogDirectoryFailures
    let clock: any KafkaClock
    let logger: Logger
    private let locks: Mutex<[Int32]>

    struct State {
        var logs: [TopicPartition: (log: Log, directory: String)] = [:]
        /// The copies of replicas being moved to another directory (`LogManager+FutureLogs`).
        var futureLogs: [TopicPartition: (log: Log, directory: String)] = [:]
        /// Where a partition's log goes when it is created (AlterReplicaLogDirs before the replica exists).
        var preferredDirectories: [TopicPartition: String] = [:]
        /// Directories of deleted partitions, with the time they may be removed, and the log to close then (a
        /// replaced log that readers may still hold).
        var pendingDirectoryDeletions: [(path: String, due: Int64, log: Log?)] = []
        var isShutDown = false
    }

    let state = Mutex(State())

    public init(
        configuration: Configuration,
        clock: any KafkaClock = SystemClock(),
        logger: Logger
    ) throws(StorageError) {
        self.configuration = configuration
        self.failures = LogDirectoryFailures(directories: configuration.logDirectories)
        self.clock = clock
        self.logger = logger
        var locks: [Int32] = []
        for directory in configuration.logDirectories {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                for lock in locks { close(lock) }
                throw .io(operation: "mkdir", path: directory, errno: EIO)
            }
            let path = "\(directory)/\(Self.lockFile)"
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                if descriptor >= 0 { close(descriptor) }
                for lock in locks { close(lock) }
                throw .directoryLocked(path: directory)
            }
            locks.append(descriptor)
        }
        self.locks = Mutex(locks)
    }

    deinit {
        releaseLocks()
    }

    private func releaseLocks() {
        let held = locks.withLock { locks in
            defer { locks = [] }
            return locks
        }
        for lock in held { close(lock) }
    }

    // MARK: Startup and shutdown

    /// Loads every partition of every log directory, in parallel.
    public func startup() async throws(StorageError) {
        var jobs:
            [(
                directory: String, partition: TopicPartition, path: String, recoveryPoint: Int64, startOffset: Int64,
                clean: Bool, isFuture: Bool
            )] = []
        for directory in configuration.logDirectories {
            let marker = "\(directory)/\(Self.cleanShutdownFile)"
            let clean = FileManager.default.fileExists(atPath: marker)
            let recoveryPoints = readCheckpoint(directory, OffsetCheckpointFile.recoveryPoint)
            let startOffsets = readCheckpoint(directory, OffsetCheckpointFile.logStartOffset)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names {
                let path = "\(directory)/\(name)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
                else {
                    continue
                }
                if name.hasSuffix(Self.deleteDirectorySuffix) {
                    try? FileManager.default.removeItem(atPath: path)
                    continue
                }
                let future = name.hasSuffix(Self.futureDirectorySuffix)
                guard
                    let partition = future
                        ? LogFileNames.topicPartition(ofFutureDirectoryNamed: name)
                        : LogFileNames.topicPartition(ofDirectoryNamed: name)
                else { continue }
                jobs.append(
                    (
                        directory, partition, path, recoveryPoints[partition] ?? 0, startOffsets[partition] ?? 0, clean,
                        future
                    )
                )
            }
            if !clean && !jobs.filter({ $0.directory == directory }).isEmpty {
                logger.warning(
                    "Log directory was not shut down cleanly: its partitions will be recovered",
                    metadata: ["logDir": "\(directory)"]
                )
            }
        }
        let started = ContinuousClock.now
        let jobList = jobs
        let config = configuration.defaultConfig
        let clock = self.clock
        let logger = self.logger
        let results = await withCheckedContinuation {
            (continuation: CheckedContinuation<[Result<Log, StorageError>], Never>) in
            DispatchQueue.global().async {
                let slots = Mutex([Result<Log, StorageError>?](repeating: nil, count: jobList.count))
                DispatchQueue.concurrentPerform(iterations: jobList.count) { index in
                    let job = jobList[index]
                    let result = Result { () throws(StorageError) -> Log in
                        let log = try Log.load(
                            directory: job.path,
                            topicPartition: job.partition,
                            config: config,
                            recoveryPoint: job.recoveryPoint,
                            logStartOffset: job.startOffset,
                            hadCleanShutdown: job.clean,
                            clock: clock,
                            logger: logger
                        )
                        // Not compacted until its partition knows its open transactions.
                        log.updateFirstUnstableOffset(log.logStartOffset)
                        return log
                    }
                    slots.withLock { $0[index] = result }
                }
                continuation.resume(returning: slots.withLock { $0.map { $0! } })
            }
        }
        var loaded: [TopicPartition: (log: Log, directory: String)] = [:]
        var futures: [TopicPartition: (log: Log, directory: String)] = [:]
        for (job, result) in zip(jobs, results) {
            if job.isFuture {
                futures[job.partition] = (try result.get(), job.directory)
            } else {
                loaded[job.partition] = (try result.get(), job.directory)
            }
        }
        // A copy whose current log is gone (deleted meanwhile) has nothing to become.
        for (partition, orphan) in futures where loaded[partition] == nil {
            orphan.log.close()
            try? FileManager.default.removeItem(atPath: orphan.log.directory)
            futures[partition] = nil
        }
        state.withLock { state in
            state.logs = loaded
            state.futureLogs = futures
        }
        // A crash from now on is an unclean shutdown.
        for directory in configuration.logDirectories {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(Self.cleanShutdownFile)")
        }
        logger.info(
            "Loaded \(loaded.count) partition log(s)",
            metadata: ["logDirs": "\(configuration.logDirectories)", "elapsed": "\(ContinuousClock.now - started)"]
        )
    }

    private func readCheckpoint(_ directory: String, _ name: String) -> [TopicPartition: Int64] {
        do {
            return try OffsetCheckpointFile(directory: directory, name: name).read()
        } catch {
            logger.warning("Ignoring a malformed checkpoint: \(error)", metadata: ["logDir": "\(directory)"])
            return [:]
        }
    }

    /// Flushes and closes every log, writes the checkpoints and the clean-shutdown marker.
    public func shutdown() {
        let (logs, others) = state.withLock { state -> ([TopicPartition: (log: Log, directory: String)], [Log]) in
            guard !state.isShutDown else { return ([:], []) }
            state.isShutDown = true
            return (state.logs, state.futureLogs.values.map(\.log) + state.pendingDirectoryDeletions.compactMap(\.log))
        }
        for (_, entry) in logs { entry.log.close() }
        for log in others { log.close() }
        checkpointRecoveryPointsAndLogStartOffsets()
        for directory in configuration.logDirectories {
            try? CheckpointFile.writeAtomically("\(directory)/\(Self.cleanShutdownFile)", contents: "")
        }
        releaseLocks()
        logger.info("Log manager shut down cleanly", metadata: ["partitions": "\(logs.count)"])
    }

    // MARK: Logs

    public func log(for partition: TopicPartition) -> Log? {
        state.withLock { $0.logs[partition]?.log }
    }

    public var allLogs: [Log] { state.withLock { $0.logs.values.map(\.log) } }
    /// The log directory holding `partition`'s log.
    public func directory(of partition: TopicPartition) -> String? { state.withLock { $0.logs[partition]?.directory } }

    /// An error from `partition`'s log on its write path: an I/O error takes its log directory offline (one log
    /// line), and the broker's handler runs once every directory is offline.
    public func reportFailure(of partition: TopicPartition, _ error: StorageError) {
        guard let directory = directory(of: partition) else { return }
        if failures.report(directory, error) {
            logger.critical(
                "Log directory failed: \(error); its partitions cannot be written",
                metadata: ["logDir": "\(directory)", "partition": "\(partition)"]
            )
        }
    }
    public var partitions: [TopicPartition] { state.withLock { Array($0.logs.keys) } }

    /// The partition's log, created empty (in the log directory with the fewest partitions) when it has none.
    public func getOrCreateLog(for partition: TopicPartition, config: LogConfig? = nil) throws(StorageError) -> Log {
        try state.withLock { (state: inout State) throws(StorageError) -> Log in
            guard !state.isShutDown else { throw .logClosed("log manager") }
            if let existing = state.logs[partition] { return existing.log }
            let counts = Dictionary(grouping: state.logs.values, by: \.directory).mapValues(\.count)
            let online = configuration.logDirectories.filter { !failures.offlineDirectories.contains($0) }
            let directory =
                state.preferredDirectories.removeValue(forKey: partition)
                ?? online.min { (counts[$0] ?? 0) < (counts[$1] ?? 0) } ?? configuration.logDirectories[0]
            let log = try Log.load(
                directory: "\(directory)/\(LogFileNames.directoryName(partition))",
                topicPartition: partition,
                config: config ?? configuration.defaultConfig,
                recoveryPoint: 0,
                logStartOffset: 0,
                hadCleanShutdown: true,
                clock: clock,
                logger: logger
            )
            state.logs[partition] = (log, directory)
            logger.info("Created log", metadata: ["partition": "\(partition)", "logDir": "\(directory)"])
            return log
        }
    }

    /// Deletes a partition's log: its directory is renamed `<topic>-<partition>.<uuid>-delete` at once (so a
    /// restart never loads it again) and removed after `file.delete.delay.ms`.
    public func deleteLog(for partition: TopicPartition) throws(StorageError) {
        let now = clock.milliseconds
        try state.withLock { (state: inout State) throws(StorageError) in
            if let future = state.futureLogs.removeValue(forKey: partition) {
                future.log.close()
                try? FileManager.default.removeItem(atPath: future.log.directory)
            }
            guard let entry = state.logs.removeValue(forKey: partition) else { return }
            entry.log.close()
            let source = entry.log.directory
            let target =
                "\(entry.directory)/\(LogFileNames.directoryName(partition, uniqueSuffix: Self.deleteDirectorySuffix))"
            guard rename(source, target) == 0 else { throw .io(operation: "rename", path: source, errno: errno) }
            state.pendingDirectoryDeletions.append((target, now + entry.log.config.fileDeleteDelayMs, nil))
            logger.info("Deleted log", metadata: ["partition": "\(partition)"])
        }
        purgeDeletedDirectories()
    }

    /// Removes the directories of deleted partitions whose delay has passed.
    public func purgeDeletedDirectories() {
        let now = clock.milliseconds
        let due = state.withLock { state in
            let due = state.pendingDirectoryDeletions.filter { $0.due <= now }
            state.pendingDirectoryDeletions.removeAll { $0.due <= now }
            return due
        }
        for entry in due {
            entry.log?.close()
            try? FileManager.default.removeItem(atPath: entry.path)
        }
    }

    // MARK: Periodic tasks

    /// One retention pass over every log (`log.retention.check.interval.ms`); `highWatermark` bounds what each
    /// partition may delete (the log end offset for a log with no replication). Returns the segments deleted.
    @discardableResult
    public func runRetention(highWatermark: (TopicPartition) -> Int64?) -> Int {
        var deleted = 0
        for log in allLogs {
            do {
                deleted += try log.deleteOldSegments(
                    highWatermark: highWatermark(log.topicPartition) ?? log.logEndOffset
                )
            } catch {
                logger.error("Retention failed: \(error)", metadata: ["partition": "\(log.topicPartition)"])
            }
            log.purgeDeletedSegments()
        }
        purgeDeletedDirectories()
        return deleted
    }

    /// Flushes the logs whose `flush.ms` has passed (`log.flush.scheduler.interval.ms`).
    public func flushDirtyLogs() {
        let now = clock.milliseconds
        for log in allLogs {
            do {
                try log.flushIfDue(now: now)
            } catch {
                logger.error("Flush failed: \(error)", metadata: ["partition": "\(log.topicPartition)"])
            }
        }
    }

    /// Writes `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint` of every directory
    /// (`log.flush.offset.checkpoint.interval.ms`, `log.flush.start.offset.checkpoint.interval.ms`).
    public func checkpointRecoveryPointsAndLogStartOffsets() {
        let (entries, futures) = state.withLock { ($0.logs, $0.futureLogs) }
        for directory in configuration.logDirectories {
            // A partition's current and future logs are in different directories, so each file names it once.
            let logs = entries.filter { $0.value.directory == directory }
                .merging(futures.filter { $0.value.directory == directory }) { current, _ in current }
            do {
                try OffsetCheckpointFile(directory: directory, name: OffsetCheckpointFile.recoveryPoint)
                    .write(logs.mapValues { $0.log.recoveryPoint })
                try OffsetCheckpointFile(directory: directory, name: OffsetCheckpointFile.logStartOffset)
                    .write(logs.mapValues { $0.log.logStartOffset })
            } catch {
                logger.error("Writing checkpoints failed: \(error)", metadata: ["logDir": "\(directory)"])
            }
        }
    }

    /// Writes `replication-offset-checkpoint` (high watermarks) of every directory.
    public func checkpointHighWatermarks(_ highWatermarks: [TopicPartition: Int64]) throws(StorageError) {
        let entries = state.withLock { $0.logs }
        for directory in configuration.logDirectories {
            let here = highWatermarks.filter { entries[$0.key]?.directory == directory }
            try OffsetCheckpointFile(directory: directory, name: OffsetCheckpointFile.replicationOffset).write(here)
        }
    }

    /// The checkpointed high watermarks of every directory.
    public func readHighWatermarks() -> [TopicPartition: Int64] {
        configuration.logDirectories.reduce(into: [:]) { result, directory in
            result.merge(readCheckpoint(directory, OffsetCheckpointFile.replicationOffset)) { $1 }
        }
    }

    // MARK: meta.properties

    /// The broker and cluster ids the directories agree on; throws when they disagree.
    public func readMetaProperties() throws(StorageError) -> MetaProperties? {
        var found: MetaProperties?
        for directory in configuration.logDirectories {
            guard let meta = try MetaProperties.read(directory: directory) else { continue }
            if let found, found != meta {
                throw .inconsistentDirectory(
                    path: directory,
                    reason: "meta.properties says \(meta), another log directory says \(found)"
                )
            }
            found = meta
        }
        return found
    }

    public func writeMetaProperties(_ meta: MetaProperties) throws(StorageError) {
        let date = "\(Date())"
        for directory in configuration.logDirectories { try meta.write(directory: directory, date: date) }
    }
}
