import Foundation
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaStorage

@Suite("Log compaction")
struct LogCleanerTests {
    static let keys = (0..<10).map { "user-\($0)" }

    /// Ten rounds over ten keys (value "round-r"), in small segments, then a roll so that all are cleanable.
    private func compactedLog(_ directory: String, clock: ManualClock, tombstone: String? = nil) throws -> Log {
        var config = LogConfig.small(segmentBytes: 1024)
        config.cleanupPolicy = .compact
        config.deleteRetentionMs = 3_600_000
        let log = try openLog(directory, config: config, clock: clock)
        for round in 0..<10 {
            var builder = RecordBatchBuilder()
            for key in Self.keys {
                let value: [UInt8]? = (round == 9 && key == tombstone) ? nil : Array("round-\(round)".utf8)
                builder.append(timestamp: clock.milliseconds - 10_000, key: Array(key.utf8), value: value)
            }
            try log.append(builder.build().buffer, origin: .client, leaderEpoch: 0)
        }
        try log.roll()
        return log
    }

    private func latestValues(_ log: Log) throws -> [String: String?] {
        var latest: [String: String?] = [:]
        for record in try readAll(log) { latest[record.keyString!] = record.valueString }
        return latest
    }

    @Test func keepsTheLastRecordOfEachKeyAtItsOffset() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let log = try compactedLog(directory.path, clock: clock)
        let before = try latestValues(log)
        let stats = try LogCleaner.clean(log)
        #expect(stats.recordsRead == 100)
        #expect(stats.recordsRetained == 10)
        let records = try readAll(log)
        #expect(records.count == 10)
        #expect(records.map(\.offset) == Array(90..<100))  // the last round's offsets, unchanged
        #expect(try latestValues(log) == before)
        #expect(records.allSatisfy { $0.valueString == "round-9" })
        #expect(log.logEndOffset == 100)
        #expect(try log.append(makeBatch(count: 1), origin: .client, leaderEpoch: 0).firstOffset == 100)
        #expect(!directory.files().contains { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") })
        // A second pass over clean data changes nothing.
        try log.roll()
        #expect(try LogCleaner.clean(log).recordsRetained == 11)
        #expect(try readAll(log).count == 11)
    }

    @Test func tombstonesStayUntilDeleteRetentionPasses() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let log = try compactedLog(directory.path, clock: clock, tombstone: "user-3")
        try LogCleaner.clean(log)
        #expect(try latestValues(log)["user-3"] == .some(nil))  // the tombstone is still there
        #expect(try readAll(log).count == 10)
        clock.advance(by: 3_600_000 + 60_000)
        let stats = try LogCleaner.clean(log)
        #expect(stats.tombstonesRemoved == 1)
        #expect(try latestValues(log)["user-3"] == nil)
        #expect(try readAll(log).count == 9)
    }

    @Test func untouchedBatchesAreCopiedByteForByte() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var config = LogConfig.small(segmentBytes: 1 << 20)
        config.cleanupPolicy = .compact
        let log = try openLog(directory.path, config: config)
        try log.append(makeBatch(count: 5, keys: ["a", "b", "c", "d", "e"]), origin: .client, leaderEpoch: 0)
        try log.append(makeBatch(count: 2, codec: .lz4, keys: ["f", "g"]), origin: .client, leaderEpoch: 0)
        try log.roll()
        let before = try log.read(from: 0, maxBytes: 1 << 20).records!.readBytes()
        try LogCleaner.clean(log)
        #expect(try log.read(from: 0, maxBytes: 1 << 20).records!.readBytes() == before)
    }

    @Test(arguments: [LogCleaner.CrashPoint.afterCleanedFilesWritten, .afterSwapFilesRenamed])
    func aCrashDuringTheSwapLosesNothing(at point: LogCleaner.CrashPoint) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let log = try compactedLog(directory.path, clock: clock)
        let expected = try latestValues(log)
        try LogCleaner.clean(log, crashAt: point)
        #expect(
            directory.files().contains {
                $0.hasSuffix(point == .afterCleanedFilesWritten ? ".log.cleaned" : ".log.swap")
            }
        )
        // The process dies here; the next start loads the directory.
        var config = LogConfig.small(segmentBytes: 1024)
        config.cleanupPolicy = .compact
        let reloaded = try openLog(directory.path, config: config, clock: clock, clean: false)
        #expect(try latestValues(reloaded) == expected)
        let records = try readAll(reloaded)
        // Before the rename nothing was swapped; after it, the first group is compacted and the rest untouched.
        if point == .afterCleanedFilesWritten {
            #expect(records.count == 100)
        } else {
            #expect(records.count < 100)
        }
        #expect(Set(records.map(\.offset)).count == records.count)  // no duplicates
        #expect(reloaded.logEndOffset == 100)
        #expect(!directory.files().contains { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") })
    }
    /// Producers' batches: a batch that loses some records keeps its last offset (so its producer's last sequence
    /// does not change), and a producer's last batch that loses all its records stays as an empty batch.
    @Test func producerBatchesKeepTheirLastOffsetAndAProducersLastBatchStaysEmpty() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var config = LogConfig.small(segmentBytes: 1 << 20)
        config.cleanupPolicy = .compact
        let log = try openLog(directory.path, config: config)
        func batch(producer: Int64, sequence: Int32, keys: [String]) -> ByteBuffer {
            var builder = RecordBatchBuilder()
            builder.producerID = producer
            builder.producerEpoch = 0
            builder.baseSequence = sequence
            for key in keys { builder.append(timestamp: 1, key: Array(key.utf8), value: Array("v".utf8)) }
            return builder.build().buffer
        }
        try log.append(batch(producer: 7, sequence: 0, keys: ["a", "b", "c"]), origin: .client, leaderEpoch: 0)  // 0-2
        try log.append(batch(producer: 8, sequence: 0, keys: ["d", "e"]), origin: .client, leaderEpoch: 0)  // 3-4
        try log.append(batch(producer: 7, sequence: 3, keys: ["a", "d", "e"]), origin: .client, leaderEpoch: 0)  // 5-7
        try log.append(batch(producer: 9, sequence: 0, keys: ["c"]), origin: .client, leaderEpoch: 0)  // 8
        try log.roll()
        try LogCleaner.clean(log)
        var buffer = try log.read(from: 0, maxBytes: 1 << 20).records!.readBytes()
        var batches: [RecordBatch] = []
        while let next = try RecordBatch.nextBatch(from: &buffer) { batches.append(next) }
        // Producer 7's first batch keeps only "b" but still ends at offset 2; producer 8's only batch loses both
        // records but is its last: kept empty, offsets 3-4; producer 7's second batch and 9's are whole.
        #expect(batches.map(\.baseOffset) == [0, 3, 5, 8])
        #expect(batches.map(\.lastOffset) == [2, 4, 7, 8])
        #expect(
            try batches.map { try $0.records(decompressionLimit: 1 << 20).map(\.offset) } == [[1], [], [5, 6, 7], [8]]
        )
        #expect(batches[0].producerID == 7 && batches[0].baseSequence == 0)
        #expect(batches[1].producerID == 8 && batches[1].baseSequence == 0)
        #expect(batches.allSatisfy { $0.crc == $0.computeCRC() })
        #expect(log.logEndOffset == 9)
    }

    /// A transactional batch of one record, or a marker, for the transaction tests.
    private func transactional(_ producer: Int64, key: String, value: String, _ clock: ManualClock) -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.producerID = producer
        builder.producerEpoch = 0
        builder.baseSequence = 0
        builder.isTransactional = true
        builder.append(timestamp: clock.milliseconds - 10_000, key: Array(key.utf8), value: Array(value.utf8))
        return builder.build().buffer
    }

    private func marker(_ type: ControlRecordType, _ producer: Int64, _ clock: ManualClock) -> ByteBuffer {
        RecordBatchBuilder.controlBatch(
            type,
            coordinatorEpoch: 0,
            producerID: producer,
            producerEpoch: 0,
            timestamp: clock.milliseconds - 10_000
        ).buffer
    }

    @Test func anAbortedTransactionsRecordsNeitherHideCommittedOnesNorSurvive() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        var config = LogConfig.small(segmentBytes: 1 << 20)
        config.cleanupPolicy = .compact
        let log = try openLog(directory.path, config: config, clock: clock)
        try log.append(transactional(1, key: "k", value: "committed", clock), origin: .client, leaderEpoch: 0)  // 0
        try log.append(marker(.commit, 1, clock), origin: .coordinator, leaderEpoch: 0)  // 1
        try log.append(transactional(2, key: "k", value: "aborted", clock), origin: .client, leaderEpoch: 0)  // 2
        try log.append(marker(.abort, 2, clock), origin: .coordinator, leaderEpoch: 0)  // 3
        // The partition indexes the abort (its marker at 3, no other open transaction).
        try log.appendAbortedTransaction(
            AbortedTransaction(producerID: 2, firstOffset: 2, lastOffset: 3, lastStableOffset: 4)
        )
        try log.roll()
        let stats = try LogCleaner.clean(log)
        #expect(stats.abortedRecordsRemoved == 1)
        let records = try readAll(log)
        // The committed value stays; the aborted batch is gone (its producer's last batch is the marker); both
        // markers stay.
        #expect(records.filter { $0.keyString == "k" }.map(\.valueString) == ["committed"])
        #expect(records.map(\.offset) == [0, 1, 3])
    }

    @Test func nothingFromTheFirstUnstableOffsetOnIsCleaned() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let log = try compactedLog(directory.path, clock: clock)
        let segments = log.segmentBaseOffsets
        // An open transaction from the third segment on: only the two segments before it may be cleaned.
        log.updateFirstUnstableOffset(segments[2])
        let stats = try LogCleaner.clean(log)
        #expect(stats.segmentsCleaned == 2)
        #expect(stats.endOffset == segments[2])
    }
}
