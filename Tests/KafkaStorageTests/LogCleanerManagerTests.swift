import Foundation
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import Testing

@testable import KafkaStorage

/// Which compacted log the cleaner takes (Kafka's LogCleanerManager): the dirtiest above its
/// `min.cleanable.dirty.ratio`, or one with a record past `max.compaction.lag.ms`; never a log with
/// `cleanup.policy=delete`; and the first dirty offset kept in `cleaner-offset-checkpoint` across a restart.
@Suite("Log cleaner manager")
struct LogCleanerManagerTests {
    static let logger = Logger(label: "test")

    private func manager(_ directory: String, clock: ManualClock) throws -> LogManager {
        try LogManager(
            configuration: .init(logDirectories: [directory], defaultConfig: .small(segmentBytes: 1024)),
            clock: clock,
            logger: Self.logger
        )
    }

    /// A new manager on a directory another manager of this process just released. Its `.lock` may still be held for
    /// an instant by a child that another test is spawning (a fork holds a copy of every descriptor until its exec
    /// closes the close-on-exec ones): seen once in a fresh-clone run, so a locked directory is asked again for up to
    /// a second. A lock never released still fails.
    private func reopen(_ directory: String, clock: ManualClock) async throws -> LogManager {
        for _ in 0..<20 {
            do {
                return try manager(directory, clock: clock)
            } catch StorageError.directoryLocked {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return try manager(directory, clock: clock)
    }

    /// `rounds` rounds over ten keys, one batch per round, then a roll (so all of it is outside the active segment).
    private func write(_ log: Log, rounds: Int, clock: ManualClock) throws {
        for round in 0..<rounds {
            var builder = RecordBatchBuilder()
            for key in 0..<10 {
                builder.append(
                    timestamp: clock.milliseconds,
                    key: Array("key-\(key)".utf8),
                    value: Array("r\(round)".utf8)
                )
            }
            try log.append(builder.build().buffer, origin: .client, leaderEpoch: 0)
        }
        try log.roll()
    }

    private func config(
        ratio: Double = 0.5,
        maxLagMs: Int64 = .max,
        policy: LogConfig.CleanupPolicy = .compact
    )
        -> LogConfig
    {
        var config = LogConfig.small(segmentBytes: 1024)
        config.cleanupPolicy = policy
        config.minCleanableDirtyRatio = ratio
        config.maxCompactionLagMs = maxLagMs
        return config
    }

    @Test func theDirtiestCompactedLogIsCleanedAndItsFirstDirtyOffsetKept() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let logs = try manager(directory.path, clock: clock)
        try await logs.startup()
        let small = try logs.getOrCreateLog(for: TopicPartition("small", 0), config: config())
        let large = try logs.getOrCreateLog(for: TopicPartition("large", 0), config: config())
        let deleting = try logs.getOrCreateLog(for: TopicPartition("deleting", 0), config: config(policy: .delete))
        try write(small, rounds: 4, clock: clock)
        try write(large, rounds: 10, clock: clock)
        try write(deleting, rounds: 10, clock: clock)
        let cleaner = LogCleanerManager(logManager: logs, clock: clock, logger: Self.logger)

        // Never cleaned: both compacted logs are wholly dirty; the delete-policy log is never a candidate.
        let first = try #require(cleaner.cleanFilthiestLog())
        let second = try #require(cleaner.cleanFilthiestLog())
        #expect(Set([first.0, second.0]) == [TopicPartition("small", 0), TopicPartition("large", 0)])
        #expect(first.1.recordsRetained == 10 && second.1.recordsRetained == 10)
        #expect(cleaner.cleanFilthiestLog() == nil)
        #expect(cleaner.firstDirtyOffset(of: TopicPartition("large", 0)) == 100)
        #expect(cleaner.firstDirtyOffset(of: TopicPartition("small", 0)) == 40)
        #expect(cleaner.firstDirtyOffset(of: TopicPartition("deleting", 0)) == nil)
        #expect(try readAll(deleting).count == 100)

        // One more round in `large`: its dirty share is about half, not above 0.5... then more rounds are.
        try write(large, rounds: 1, clock: clock)
        #expect(cleaner.filthiestLog() == nil)
        try write(large, rounds: 3, clock: clock)
        let third = try #require(cleaner.cleanFilthiestLog())
        #expect(third.0 == TopicPartition("large", 0))
        #expect(cleaner.firstDirtyOffset(of: TopicPartition("large", 0)) == 140)
        #expect(cleaner.metrics.recopyPercent > 0 && cleaner.metrics.recopyPercent < 100)

        // The checkpoint file in Kafka's format, read back by a new manager after a restart.
        let checkpoint = try String(contentsOfFile: directory.path + "/cleaner-offset-checkpoint", encoding: .utf8)
        #expect(checkpoint.split(separator: "\n").sorted() == ["0", "2", "large 0 140", "small 0 40"])
        logs.shutdown()
        let reopened = try await reopen(directory.path, clock: clock)
        try await reopened.startup()
        let again = LogCleanerManager(logManager: reopened, clock: clock, logger: Self.logger)
        #expect(again.firstDirtyOffset(of: TopicPartition("large", 0)) == 140)
        #expect(again.filthiestLog() == nil)
        reopened.shutdown()
    }

    @Test func aRecordPastTheMaxCompactionLagIsCleanedBelowTheRatio() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let logs = try manager(directory.path, clock: clock)
        try await logs.startup()
        let log = try logs.getOrCreateLog(
            for: TopicPartition("lagged", 0),
            config: config(ratio: 0.99, maxLagMs: 60_000)
        )
        try write(log, rounds: 10, clock: clock)
        let cleaner = LogCleanerManager(logManager: logs, clock: clock, logger: Self.logger)
        #expect(cleaner.cleanFilthiestLog()?.0 == TopicPartition("lagged", 0))
        try write(log, rounds: 1, clock: clock)
        #expect(cleaner.filthiestLog() == nil)  // half dirty, below 0.99, and young
        clock.advance(by: 60_001)
        let candidate = try #require(cleaner.filthiestLog())
        #expect(candidate.overdue && candidate.cleanableRatio < 0.99)
        logs.shutdown()
    }

    @Test func aCompactedLogRollsItsActiveSegmentByTheMaxCompactionLag() throws {
        var config = config(maxLagMs: 100)
        config.segmentMs = 10_000
        #expect(config.maxSegmentMs == 100)
        config.cleanupPolicy = .delete
        #expect(config.maxSegmentMs == 10_000)
    }
}
