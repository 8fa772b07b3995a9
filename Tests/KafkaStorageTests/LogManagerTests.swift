import Foundation
import KafkaCore
import KafkaTestSupport
import Logging
import NIOCore
import Testing

@testable import KafkaStorage

@Suite("LogManager: log directories, startup, shutdown")
struct LogManagerTests {
    private func manager(_ directories: [String], logger: Logger = Logger(label: "test")) throws -> LogManager {
        var config = LogConfig.small(segmentBytes: 2048)
        config.fileDeleteDelayMs = 0
        return try LogManager(
            configuration: .init(logDirectories: directories, defaultConfig: config),
            clock: ManualClock(),
            logger: logger
        )
    }

    @Test func logsSurviveACleanRestartAcrossSeveralDirectories() async throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let directories = [root.path + "/a", root.path + "/b"]
        let first = try manager(directories)
        try await first.startup()
        for partition in 0..<6 {
            let log = try first.getOrCreateLog(for: TopicPartition("orders", Int32(partition)))
            for index in 0..<10 {
                try log.append(makeBatch(count: 3, first: index * 3), origin: .client, leaderEpoch: 0)
            }
        }
        // New logs go to the directory with the fewest partitions.
        #expect(TemporaryDirectory(existing: directories[0]).files().filter { $0.hasPrefix("orders-") }.count == 3)
        first.shutdown()
        for directory in directories {
            let files = TemporaryDirectory(existing: directory).files()
            #expect(files.contains(".kafka_cleanshutdown"))
            let checkpoint = try String(
                contentsOfFile: directory + "/recovery-point-offset-checkpoint",
                encoding: .utf8
            )
            let lines = checkpoint.split(separator: "\n")
            #expect(lines[0] == "0" && lines[1] == "3")
            #expect(lines.dropFirst(2).allSatisfy { $0.hasPrefix("orders ") && $0.hasSuffix(" 30") })
        }

        let handler = CapturingLogHandler()
        let second = try manager(directories, logger: Logger(label: "restart") { _ in handler })
        try await second.startup()
        #expect(second.partitions.count == 6)
        for partition in second.partitions {
            let log = try #require(second.log(for: partition))
            #expect(log.logEndOffset == 30)
            #expect(try readAll(log).count == 30)
        }
        #expect(handler.messages(at: .warning).isEmpty)  // clean: nothing was recovered
        #expect(!TemporaryDirectory(existing: directories[0]).files().contains(".kafka_cleanshutdown"))
        second.shutdown()
    }

    @Test func anUncleanRestartRecoversFromTheCheckpointedRecoveryPoint() async throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        do {
            let crashed = try manager([root.path])
            try await crashed.startup()
            let log = try crashed.getOrCreateLog(for: TopicPartition("events", 0))
            for index in 0..<20 {
                try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0)
            }
            try log.flush()
            crashed.checkpointRecoveryPointsAndLogStartOffsets()
            for index in 20..<25 {
                try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0)
            }
            // No shutdown: the process "dies" here.
        }
        let handler = CapturingLogHandler()
        let restarted = try manager([root.path], logger: Logger(label: "restart") { _ in handler })
        try await restarted.startup()
        let log = try #require(restarted.log(for: TopicPartition("events", 0)))
        #expect(log.logEndOffset == 50)
        #expect(try readAll(log).count == 50)
        #expect(handler.messages(at: .warning).contains { $0.contains("not shut down cleanly") })
        #expect(handler.messages(at: .info).contains { $0.contains("Recovered the log") })
        restarted.shutdown()
    }

    @Test func aLockedDirectoryIsRefused() throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let first = try manager([root.path])
        #expect(throws: StorageError.directoryLocked(path: root.path)) { _ = try manager([root.path]) }
        first.shutdown()
    }

    @Test func deletedLogsAreRenamedAndNeverComeBack() async throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let manager = try manager([root.path])
        try await manager.startup()
        let log = try manager.getOrCreateLog(for: TopicPartition("doomed", 0))
        try log.append(makeBatch(count: 2), origin: .client, leaderEpoch: 0)
        _ = try manager.getOrCreateLog(for: TopicPartition("kept", 0))
        try manager.deleteLog(for: TopicPartition("doomed", 0))
        #expect(manager.log(for: TopicPartition("doomed", 0)) == nil)
        #expect(!root.files().contains { $0.hasPrefix("doomed") })  // delay 0: already gone
        manager.shutdown()
    }

    @Test func metaPropertiesAreKafkasAndMustAgree() throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let manager = try manager([root.path + "/a", root.path + "/b"])
        try manager.writeMetaProperties(MetaProperties(brokerID: 3, clusterID: "QV0_Ob7VSaW3bdpyIk2fGQ"))
        let text = try String(contentsOfFile: root.path + "/a/meta.properties", encoding: .utf8)
        #expect(
            text.contains("\nversion=0\n") && text.contains("broker.id=3")
                && text.contains("cluster.id=QV0_Ob7VSaW3bdpyIk2fGQ")
        )
        #expect(try manager.readMetaProperties() == MetaProperties(brokerID: 3, clusterID: "QV0_Ob7VSaW3bdpyIk2fGQ"))
        try MetaProperties(brokerID: 4, clusterID: "QV0_Ob7VSaW3bdpyIk2fGQ").write(
            directory: root.path + "/b",
            date: "now"
        )
        #expect(throws: StorageError.self) { _ = try manager.readMetaProperties() }
        manager.shutdown()
    }

    @Test func highWatermarksAreCheckpointed() async throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let manager = try manager([root.path])
        try await manager.startup()
        _ = try manager.getOrCreateLog(for: TopicPartition("t", 0))
        _ = try manager.getOrCreateLog(for: TopicPartition("t", 1))
        try manager.checkpointHighWatermarks([TopicPartition("t", 0): 17, TopicPartition("t", 1): 4])
        #expect(manager.readHighWatermarks() == [TopicPartition("t", 0): 17, TopicPartition("t", 1): 4])
        #expect(
            try String(contentsOfFile: root.path + "/replication-offset-checkpoint", encoding: .utf8)
                == "0\n2\nt 0 17\nt 1 4\n"
        )
        manager.shutdown()
    }
}
