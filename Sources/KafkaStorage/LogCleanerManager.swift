public import KafkaCore
public import Logging
import Synchronization

/// Kafka's `LogCleanerManager`: which compacted log the cleaner takes next, and where each log's clean part ends.
///
/// A log is split at its first dirty offset (what the last pass cleaned up to, kept per partition in its log
/// directory's `cleaner-offset-checkpoint`, Kafka's text format) into a clean head and a dirty tail; the tail up to
/// the first uncleanable offset (the active segment, or the first segment younger than `min.compaction.lag.ms`) is
/// cleanable. `filthiestLog()` picks, among logs with `cleanup.policy` compact, the one with the largest cleanable
/// ratio (cleanable bytes over clean plus cleanable bytes) above its `min.cleanable.dirty.ratio`, or with a dirty
/// record older than `max.compaction.lag.ms`; `cleanFilthiestLog()` cleans it with `LogCleaner` and moves its first
/// dirty offset. Used by one cleaner task at a time (the broker's `LogCleanerService`); the gauges may be read by
/// any task.
public final class LogCleanerManager: Sendable {
    public let logManager: LogManager
    let clock: any KafkaClock
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var firstDirtyOffsets: [TopicPartition: Int64] = [:]
        var loaded = false
        var metrics = Metrics()
    }

    /// Kafka's cleaner gauges (`kafka.log:type=LogCleaner` and `type=LogCleanerManager`).
    public struct Metrics: Sendable, Equatable {
        /// The largest cleanable ratio among compacted logs at the last selection, in percent.
        public var maxDirtyPercent = 0
        /// Bytes written over bytes read by the last pass, in percent.
        public var recopyPercent = 0
        /// How long the last pass took, in seconds.
        public var maxCleanTimeSeconds = 0
        /// When the cleaner last looked for work (milliseconds since the epoch; 0 before the first time).
        public var lastRunMilliseconds: Int64 = 0
        /// Passes that failed (a corrupt batch, an I/O error); the log is skipped until the broker restarts.
        public var uncleanablePartitions = 0

        public init() {}
    }

    /// A compacted log the cleaner may take, as `filthiestLog()` measured it.
    public struct Candidate: Sendable {
        public var partition: TopicPartition
        public var firstDirtyOffset: Int64
        public var cleanableRatio: Double
        /// A dirty record is older than `max.compaction.lag.ms`.
        public var overdue: Bool
    }

    private let uncleanable = Mutex<Set<TopicPartition>>([])

    public init(logManager: LogManager, clock: any KafkaClock = SystemClock(), logger: Logger) {
        self.logManager = logManager
        self.clock = clock
        self.logger = logger
    }

    public var metrics: Metrics { state.withLock { $0.metrics } }

    /// The first dirty offset of `partition` (its log start offset when never cleaned).
    public func firstDirtyOffset(of partition: TopicPartition) -> Int64? {
        loadCheckpoints()
        return state.withLock { $0.firstDirtyOffsets[partition] }
    }

    /// The compacted log most in need of cleaning, or nil when none is above its ratio or overdue.
    public func filthiestLog() -> Candidate? {
        loadCheckpoints()
        let now = clock.milliseconds
        let checkpoints = state.withLock { $0.firstDirtyOffsets }
        let skipped = uncleanable.withLock { $0 }
        var best: Candidate?
        var maxRatio = 0.0
        for log in logManager.allLogs where !skipped.contains(log.topicPartition) {
            guard let view = log.cleaningView(now: now, checkpoint: checkpoints[log.topicPartition]) else { continue }
            maxRatio = max(maxRatio, view.ratio)
            guard view.cleanableBytes > 0, view.overdue || view.ratio > view.minCleanableRatio else { continue }
            let candidate = Candidate(
                partition: log.topicPartition,
                firstDirtyOffset: view.firstDirtyOffset,
                cleanableRatio: view.ratio,
                overdue: view.overdue
            )
            if best.map({ candidate.cleanableRatio > $0.cleanableRatio }) ?? true { best = candidate }
        }
        state.withLock {
            $0.metrics.maxDirtyPercent = Int(maxRatio * 100)
            $0.metrics.lastRunMilliseconds = now
        }
        return best
    }

    /// Cleans the filthiest log once; returns what the pass did, or nil when no log needed it.
    @discardableResult
    public func cleanFilthiestLog() -> (TopicPartition, LogCleaner.Stats)? {
        guard let candidate = filthiestLog(), let log = logManager.log(for: candidate.partition) else { return nil }
        let started = ContinuousClock.now
        do {
            let stats = try LogCleaner.clean(log)
            let elapsed = ContinuousClock.now - started
            state.withLock { state in
                if let end = stats.endOffset { state.firstDirtyOffsets[candidate.partition] = end }
                if stats.bytesBefore > 0 {
                    state.metrics.recopyPercent = Int(stats.bytesAfter * 100 / stats.bytesBefore)
                }
                state.metrics.maxCleanTimeSeconds = Int(elapsed.components.seconds)
            }
            writeCheckpoints()
            return (candidate.partition, stats)
        } catch {
            logger.error(
                "Cleaning failed; the log is skipped until restart: \(error)",
                metadata: [
                    "partition": "\(candidate.partition)"
                ]
            )
            let count = uncleanable.withLock { set -> Int in
                set.insert(candidate.partition)
                return set.count
            }
            state.withLock { $0.metrics.uncleanablePartitions = count }
            return (candidate.partition, LogCleaner.Stats())
        }
    }

    /// Writes every directory's `cleaner-offset-checkpoint` with the first dirty offsets of the logs it holds.
    public func writeCheckpoints() {
        let offsets = state.withLock { $0.firstDirtyOffsets }
        for directory in logManager.configuration.logDirectories {
            let here = offsets.filter { logManager.directory(of: $0.key) == directory }
            do {
                try OffsetCheckpointFile(directory: directory, name: OffsetCheckpointFile.cleanerOffset).write(here)
            } catch {
                logger.error("Writing the cleaner checkpoint failed: \(error)", metadata: ["logDir": "\(directory)"])
            }
        }
    }

    private func loadCheckpoints() {
        guard !state.withLock({ $0.loaded }) else { return }
        var offsets: [TopicPartition: Int64] = [:]
        for directory in logManager.configuration.logDirectories {
            do {
                let read = try OffsetCheckpointFile(directory: directory, name: OffsetCheckpointFile.cleanerOffset)
                    .read()
                offsets.merge(read) { $1 }
            } catch {
                logger.warning(
                    "Ignoring a malformed cleaner checkpoint: \(error)",
                    metadata: ["logDir": "\(directory)"]
                )
            }
        }
        state.withLock { state in
            guard !state.loaded else { return }
            state.firstDirtyOffsets = offsets
            state.loaded = true
        }
    }
}

extension Log {
    /// One log as the cleaner manager weighs it.
    struct CleaningView {
        var firstDirtyOffset: Int64
        var cleanBytes: Int64
        var cleanableBytes: Int64
        var overdue: Bool
        var minCleanableRatio: Double
        var ratio: Double {
            cleanBytes + cleanableBytes == 0 ? 0 : Double(cleanableBytes) / Double(cleanBytes + cleanableBytes)
        }
    }

    /// Kafka's `cleanableOffsets` and `maxCompactionDelay` for this log, or nil when it is not compacted. A
    /// checkpoint outside the log (truncated, or below the log start) counts from the log start.
    func cleaningView(now: Int64, checkpoint: Int64?) -> CleaningView? {
        state.withLock { state in
            let config = state.config
            guard config.compact, !state.isClosed else { return nil }
            var firstDirty = checkpoint ?? state.logStartOffset
            if firstDirty < state.logStartOffset || firstDirty > state.logEndOffset {
                firstDirty = state.logStartOffset
            }
            var view = CleaningView(
                firstDirtyOffset: firstDirty,
                cleanBytes: 0,
                cleanableBytes: 0,
                overdue: false,
                minCleanableRatio: config.minCleanableDirtyRatio
            )
            for (index, segment) in state.segments.dropLast().enumerated() {
                let next = state.segments[index + 1].baseOffset
                if next <= firstDirty {
                    view.cleanBytes += segment.size
                    continue
                }
                // Younger than min.compaction.lag.ms: this segment and every later one are uncleanable.
                guard segment.size == 0 || now - segment.largestTimestamp >= config.minCompactionLagMs else { break }
                view.cleanableBytes += segment.size
                if let first = segment.rollingBasedTimestamp, first >= 0, now - first > config.maxCompactionLagMs {
                    view.overdue = true
                }
            }
            return view
        }
    }
}
