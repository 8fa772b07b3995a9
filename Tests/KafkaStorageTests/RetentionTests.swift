import Foundation
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaStorage

@Suite("Log retention and storage errors")
struct RetentionTests {
    @Test func retentionByTimeDeletesWholeExpiredSegments() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(milliseconds: 10_000_000)
        var config = LogConfig.small(segmentBytes: 1024)
        config.retentionMs = 60_000
        let log = try openLog(directory.path, config: config, clock: clock)
        // Ten old batches (timestamps around 1_000_000), then ten recent ones.
        for index in 0..<10 {
            try log.append(makeBatch(count: 3, first: index * 3, timestamp: 1_000_000), origin: .client, leaderEpoch: 0)
        }
        let oldEnd = log.logEndOffset
        for index in 10..<20 {
            try log.append(makeBatch(count: 3, first: index * 3, timestamp: 9_990_000), origin: .client, leaderEpoch: 0)
        }
        // Nothing above the high watermark goes, even when expired.
        #expect(try log.deleteOldSegments(highWatermark: 0) == 0)
        let deleted = try log.deleteOldSegments(highWatermark: log.logEndOffset)
        #expect(deleted > 0)
        #expect(log.logStartOffset > 0 && log.logStartOffset <= oldEnd)
        let records = try readAll(log)
        #expect(records.first?.offset == log.logStartOffset)
        #expect(records.allSatisfy { $0.timestamp >= 9_990_000 || $0.offset >= log.logStartOffset })
        #expect(records.last?.offset == 59)
        #expect(throws: StorageError.self) { _ = try log.read(from: 0, maxBytes: 100) }
        // The deleted segments' files are gone (file.delete.delay.ms is 0 here).
        #expect(directory.files().filter { $0.hasSuffix(".log") }.count == log.segmentCount)
    }

    @Test func everySegmentExpiringLeavesAnEmptyActiveSegment() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(milliseconds: 10_000_000)
        var config = LogConfig.small(segmentBytes: 1024)
        config.retentionMs = 1000
        let log = try openLog(directory.path, config: config, clock: clock)
        for index in 0..<5 {
            try log.append(makeBatch(count: 3, first: index * 3, timestamp: 1_000), origin: .client, leaderEpoch: 0)
        }
        try log.deleteOldSegments(highWatermark: log.logEndOffset)
        #expect(log.segmentCount == 1)
        #expect(log.logStartOffset == 15 && log.logEndOffset == 15)
        #expect(try log.append(makeBatch(count: 1), origin: .client, leaderEpoch: 0).firstOffset == 15)
    }

    @Test func retentionBySizeKeepsTheNewestBytes() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var config = LogConfig.small(segmentBytes: 1024)
        config.retentionBytes = 3000
        let log = try openLog(directory.path, config: config, clock: ManualClock(milliseconds: 1_700_000_001_000))
        for index in 0..<40 { try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0) }
        let before = log.sizeInBytes
        #expect(before > 6000)
        try log.deleteOldSegments(highWatermark: log.logEndOffset)
        // Kafka's rule: delete the oldest segments while what is left stays at or above retention.bytes.
        #expect(log.sizeInBytes >= 3000)
        #expect(log.sizeInBytes < 3000 + 1024)
        #expect(try readAll(log).last?.offset == 79)
    }

    @Test func deleteRecordsMovesTheStartAndRetentionDropsSegmentsBelowIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(
            directory.path,
            config: .small(segmentBytes: 1024),
            clock: ManualClock(milliseconds: 1_700_000_001_000)
        )
        for index in 0..<30 { try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0) }
        #expect(throws: StorageError.self) { try log.incrementLogStartOffset(to: 50, highWatermark: 40) }
        try log.incrementLogStartOffset(to: 33, highWatermark: 60)
        #expect(log.logStartOffset == 33)
        #expect(throws: StorageError.self) { _ = try log.read(from: 10, maxBytes: 100) }
        let segments = log.segmentCount
        try log.deleteOldSegments(highWatermark: 60)
        #expect(log.segmentCount < segments)
        #expect(log.segmentBaseOffsets.first! <= 33)
        #expect(try readAll(log).first?.offset == 33)
    }

    @Test func deletedSegmentsLingerAsDeletedFilesUntilTheirDelay() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        var config = LogConfig.small(segmentBytes: 1024)
        config.retentionMs = 1000
        config.fileDeleteDelayMs = 60_000
        let log = try openLog(directory.path, config: config, clock: clock)
        for index in 0..<10 { try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0) }
        try log.deleteOldSegments(highWatermark: log.logEndOffset)
        #expect(directory.files().contains { $0.hasSuffix(".log.deleted") })
        log.purgeDeletedSegments()
        #expect(directory.files().contains { $0.hasSuffix(".log.deleted") })
        clock.advance(by: 60_000)
        log.purgeDeletedSegments()
        #expect(!directory.files().contains { $0.hasSuffix(".deleted") })
    }

    /// A real full disk: a 1 MiB tmpfs. The append that does not fit fails with KAFKA_STORAGE_ERROR, leaves no
    /// partial batch behind, and reads keep working.
    @Test func aFullDiskFailsTheAppendCleanly() throws {
        let mountPoint = NSTemporaryDirectory() + "swiftkafka-full-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mounting a tmpfs needs root, as the test suite runs")
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [mountPoint]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        var config = LogConfig.small(segmentBytes: 8 << 20)
        config.segmentIndexBytes = 1024
        let log = try openLog(mountPoint + "/topic-0", config: config)
        var failure: StorageError?
        var appended = 0
        while failure == nil && appended < 10_000 {
            do {
                try log.append(makeBatch(count: 20, first: appended * 20), origin: .client, leaderEpoch: 0)
                appended += 1
            } catch {
                failure = error
            }
        }
        let error = try #require(failure)
        #expect(error.errorCode == .kafkaStorageError)
        #expect("\(error)".contains("No space left on device"))
        #expect(log.logEndOffset == Int64(appended * 20))
        let logFiles = try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/topic-0").filter {
            $0.hasSuffix(".log")
        }
        let onDisk = try logFiles.reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: mountPoint + "/topic-0/" + $1)[.size] as! Int)
        }
        #expect(Int64(onDisk) == log.sizeInBytes)
        let records = try readAll(log)
        #expect(records.count == appended * 20)
        #expect(records.last?.keyString == "key-\(appended * 20 - 1)")
        log.close()
    }
}
