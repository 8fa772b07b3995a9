import Foundation
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaStorage

@Suite("Log: append, read, indexes, truncation")
struct LogTests {
    @Test func appendsAndReadsAcrossManySegments() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        for index in 0..<200 {
            let info = try log.append(makeBatch(count: 5, first: index * 5), origin: .client, leaderEpoch: 0)
            #expect(info.firstOffset == Int64(index * 5))
            #expect(info.lastOffset == Int64(index * 5 + 4))
        }
        #expect(log.logEndOffset == 1000)
        #expect(log.segmentCount > 10)
        let records = try readAll(log)
        #expect(records.map(\.offset) == Array(0..<1000))
        #expect(records.map(\.keyString) == (0..<1000).map { "key-\($0)" })
        // Kafka's names: 20-digit base offsets, one .log/.index/.timeindex each.
        let logs = directory.files().filter { $0.hasSuffix(".log") }
        #expect(logs.first == "00000000000000000000.log")
        #expect(logs.count == log.segmentCount)
        #expect(logs.allSatisfy { $0.count == 24 })
        #expect(directory.files().filter { $0.hasSuffix(".index") }.count == log.segmentCount)
        log.close()
    }

    /// A client may send any long as a CreateTime timestamp: batches at Int64.min and Int64.max after one at a
    /// normal time are appended (the time-based roll check sees at least -1, never Int64.min) and read back as sent.
    @Test func aTimestampOfInt64MinAfterANormalOneAppends() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        try log.append(makeBatch(count: 1), origin: .client, leaderEpoch: 0)
        try log.append(makeBatch(count: 1, first: 1, timestamp: Int64.min), origin: .client, leaderEpoch: 0)
        try log.append(makeBatch(count: 1, first: 2, timestamp: Int64.max), origin: .client, leaderEpoch: 0)
        #expect(try readAll(log).map(\.timestamp) == [1_700_000_000_000, Int64.min, Int64.max])
    }

    @Test func readsStopBeforeTheUpperBound() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path, config: .small(segmentBytes: 1 << 20))
        for index in 0..<10 { try log.append(makeBatch(count: 3, first: index * 3), origin: .client, leaderEpoch: 0) }
        // A high watermark of 9 hides the batch [9, 11] and everything after it.
        let records = try readAll(log, upTo: 9)
        #expect(records.map(\.offset) == Array(0..<9))
        #expect(try log.read(from: 9, maxBytes: 1 << 20, upTo: 9).records == nil)
        // A limit inside a batch hides that whole batch.
        let inside = try log.read(from: 0, maxBytes: 1 << 20, upTo: 10)
        var bytes = try inside.records!.readBytes()
        var last: Int64 = -1
        while let batch = try RecordBatch.nextBatch(from: &bytes) { last = batch.lastOffset }
        #expect(last == 8)
    }

    @Test func maxBytesCutsButTheFirstBatchAlwaysComes() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path, config: .small(segmentBytes: 1 << 20))
        // Keys key-100 ... key-139: every batch has the same size.
        for index in 0..<4 {
            try log.append(makeBatch(count: 10, first: 100 + index * 10), origin: .client, leaderEpoch: 0)
        }
        let batchSize = try log.read(from: 0, maxBytes: 1, minOneMessage: true).sizeInBytes
        #expect(batchSize > 300)
        #expect(try log.read(from: 0, maxBytes: 1, minOneMessage: false).sizeInBytes == 1)
        let cut = try log.read(from: 15, maxBytes: batchSize + 10)
        #expect(
            cut.records!.length == batchSize + 10,
            "position \(cut.records!.position) length \(cut.records!.length) batch \(batchSize)"
        )
        #expect(try log.read(from: 15, maxBytes: batchSize + 10).firstBatchOffset == 10)
    }

    @Test func offsetsOutsideTheLogAreOutOfRange() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        try log.append(makeBatch(count: 5), origin: .client, leaderEpoch: 0)
        #expect(throws: StorageError.offsetOutOfRange(requested: 6, logStartOffset: 0, logEndOffset: 5)) {
            _ = try log.read(from: 6, maxBytes: 100)
        }
        #expect(
            StorageError.offsetOutOfRange(requested: 6, logStartOffset: 0, logEndOffset: 5).errorCode
                == .offsetOutOfRange
        )
        #expect(try log.read(from: 5, maxBytes: 100).records == nil)
    }

    @Test func indexEntriesPointAtTheirBatches() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path, config: .small(segmentBytes: 1 << 20, indexIntervalBytes: 500))
        for index in 0..<60 {
            try log.append(
                makeBatch(count: 2, first: index * 2, timestamp: 1_700_000_000_000 + Int64(index) * 1000),
                origin: .client,
                leaderEpoch: 0
            )
        }
        log.close()
        let index = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/00000000000000000000.index"))
        let logFile = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/00000000000000000000.log"))
        #expect(index.count % 8 == 0)
        #expect(index.count / 8 >= 10)  // 60 batches of ~150 bytes, an entry every 500 bytes
        for entry in stride(from: 0, to: index.count, by: 8) {
            let relative = index[entry..<(entry + 4)].reduce(0) { $0 << 8 | Int($1) }
            let position = index[(entry + 4)..<(entry + 8)].reduce(0) { $0 << 8 | Int($1) }
            let base = logFile[position..<(position + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let delta = logFile[(position + 23)..<(position + 27)].reduce(0) { $0 << 8 | Int($1) }
            #expect(base + Int64(delta) == Int64(relative), "index entry \(entry / 8)")
        }
        let timeIndex = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/00000000000000000000.timeindex"))
        #expect(timeIndex.count % 12 == 0 && timeIndex.count > 0)
        var previous: Int64 = 0
        for entry in stride(from: 0, to: timeIndex.count, by: 12) {
            let timestamp = timeIndex[entry..<(entry + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            #expect(timestamp > previous)
            previous = timestamp
        }
    }

    @Test func findsOffsetsByTimestamp() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        for index in 0..<100 {
            try log.append(
                makeBatch(count: 4, first: index * 4, timestamp: 1_000_000 + Int64(index) * 100),
                origin: .client,
                leaderEpoch: 0
            )
        }
        // Batch 37 holds timestamps 1_003_700 ... 1_003_703 at offsets 148 ... 151.
        #expect(try log.offset(forTimestamp: 1_003_702)! == (1_003_702, 150))
        #expect(try log.offset(forTimestamp: 1_003_750)! == (1_003_800, 152))
        #expect(try log.offset(forTimestamp: 0)! == (1_000_000, 0))
        #expect(try log.offset(forTimestamp: 9_999_999) == nil)
        #expect(log.maxTimestampAndOffset == (1_009_903, 399))
    }

    @Test func truncationRemovesTheTailAndAppendsContinue() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        for index in 0..<50 {
            try log.append(makeBatch(count: 5, first: index * 5), origin: .client, leaderEpoch: Int32(index / 10))
        }
        let segmentsBefore = log.segmentCount
        try log.truncate(to: 103)  // inside batch [100, 104]: that batch goes whole
        #expect(log.logEndOffset == 103)
        #expect(log.segmentCount < segmentsBefore)
        #expect(log.latestEpoch == 2)
        // A follower truncates to a batch boundary; here the cut batch's first offsets are gone too.
        let records = try readAll(log)
        #expect(records.last?.offset == 99)
        let info = try log.append(makeBatch(count: 2, first: 1000), origin: .client, leaderEpoch: 7)
        #expect(info.firstOffset == 103)
        #expect(log.leaderEpochs.map(\.epoch) == [0, 1, 2, 7])
        try log.truncateFully(startingAt: 500)
        #expect(log.logStartOffset == 500 && log.logEndOffset == 500 && log.segmentCount == 1)
        #expect(try log.append(makeBatch(count: 1), origin: .client, leaderEpoch: 8).firstOffset == 500)
        #expect(directory.files().filter { $0.hasSuffix(".log") } == ["00000000000000000500.log"])
    }

    @Test func logAppendTimeIsWrittenWithAValidCRC() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var config = LogConfig.small()
        config.timestampType = .logAppendTime
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let log = try openLog(directory.path, config: config, clock: clock)
        let original = makeBatch(count: 3, codec: .gzip)
        let info = try log.append(original, origin: .client, leaderEpoch: 4)
        #expect(info.logAppendTime == 1_800_000_000_000)
        var bytes = try log.read(from: 0, maxBytes: 1 << 20).records!.readBytes()
        let stored = try #require(try RecordBatch.nextBatch(from: &bytes))
        try stored.validate(maxSize: 1 << 20, fromClient: false, decompressionLimit: 1 << 20)
        #expect(stored.isLogAppendTime)
        #expect(stored.maxTimestamp == 1_800_000_000_000)
        #expect(stored.partitionLeaderEpoch == 4)
        // The records themselves are the producer's bytes, untouched.
        #expect(stored.recordsSection == RecordBatch(unchecked: original).recordsSection)
        #expect(original.getInteger(at: RecordBatch.partitionLeaderEpochOffset, as: Int32.self) == -1)
    }

    @Test func replicatedBatchesKeepTheirOffsets() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        var batch = RecordBatch(unchecked: makeBatch(count: 3))
        batch.baseOffset = 0
        batch.partitionLeaderEpoch = 5
        try log.append(batch.buffer, origin: .replication, leaderEpoch: -1)
        #expect(log.logEndOffset == 3)
        #expect(log.latestEpoch == 5)
        #expect(throws: StorageError.nonMonotonicOffsets(expected: 3, found: 0)) {
            try log.append(batch.buffer, origin: .replication, leaderEpoch: -1)
        }
    }

    @Test func leaderEpochsAnswerOffsetForLeaderEpoch() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        try log.append(makeBatch(count: 10), origin: .client, leaderEpoch: 1)  // epoch 1: 0..9
        try log.append(makeBatch(count: 5), origin: .client, leaderEpoch: 3)  // epoch 3: 10..14
        try log.append(makeBatch(count: 5), origin: .client, leaderEpoch: 3)
        try log.append(makeBatch(count: 2), origin: .client, leaderEpoch: 6)  // epoch 6: 20..21
        #expect(log.endOffset(forLeaderEpoch: 3) == (3, 20))
        #expect(log.endOffset(forLeaderEpoch: 2) == (1, 10))
        #expect(log.endOffset(forLeaderEpoch: 0) == (0, 0))
        #expect(log.endOffset(forLeaderEpoch: 6) == (6, 22))
        #expect(log.endOffset(forLeaderEpoch: 9) == (-1, -1))
        log.close()
        let checkpoint = try String(contentsOfFile: directory.path + "/leader-epoch-checkpoint", encoding: .utf8)
        #expect(checkpoint == "0\n3\n1 0\n3 10\n6 20\n")
        let reopened = try openLog(directory.path)
        #expect(reopened.endOffset(forLeaderEpoch: 2) == (1, 10))
    }

    @Test func cleanReopenKeepsEverythingAndTrimsIndexes() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        for index in 0..<100 { try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0) }
        log.close()
        for name in directory.files() where name.hasSuffix(".index") || name.hasSuffix(".timeindex") {
            let size = try FileManager.default.attributesOfItem(atPath: directory.path + "/" + name)[.size] as! Int
            #expect(size % (name.hasSuffix(".index") ? 8 : 12) == 0 && size < 4096, "\(name): \(size) bytes")
        }
        let reopened = try openLog(directory.path)
        #expect(reopened.logEndOffset == 200)
        #expect(try readAll(reopened).map(\.offset) == Array(0..<200))
        #expect(try reopened.append(makeBatch(count: 1), origin: .client, leaderEpoch: 0).firstOffset == 200)
    }
}
