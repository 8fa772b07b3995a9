import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Testing

/// Moving a replica between two log directories on real disk (AlterReplicaLogDirs): Kafka's answers, the copy with
/// offsets, epochs and the log start kept, the swap, the old directory retired, appends and truncations on either
/// side of the move, and a move resumed after a restart.
@Suite("Log directory moves")
struct LogDirMoveTests {
    let root = NSTemporaryDirectory() + "logdirs-" + UUID().uuidString
    var a: String { root + "/a" }
    var b: String { root + "/b" }
    let topicPartition = TopicPartition("t", 0)

    func broker() throws -> ReplicaManager {
        try ReplicaManager.onDisk(brokerID: 1, logDirectories: [a, b])
    }

    func lead(_ replicas: ReplicaManager, epoch: Int32, _ partition: TopicPartition? = nil) {
        let answer = replicas.becomeLeaderOrFollower(
            partition ?? topicPartition,
            leader: 1,
            leaderEpoch: epoch,
            isr: [1],
            replicas: [1],
            config: LogConfig()
        )
        #expect(answer.errorCode == .none)
    }

    func produce(_ partition: Partition, count: Int) throws {
        let batch = ScriptedLeader.batch(baseOffset: 0, epoch: 0, count: count)
        _ = try partition.appendAsLeader(batch, origin: .client, requiredAcks: 1)
    }

    func contents(_ log: Log, from offset: Int64) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var next = offset
        while next < log.logEndOffset, let slice = try log.read(from: next, maxBytes: 1 << 20).records {
            var buffer = try slice.readBytes()
            bytes += buffer.readableBytesView
            while let batch = try RecordBatch.nextBatch(from: &buffer) { next = batch.nextOffset }
        }
        return bytes
    }

    @Test func aReplicaMovesWithItsBatchesEpochsAndStartOffset() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let replicas = try broker()
        let logManager = replicas.logManager
        try await logManager.startup()
        lead(replicas, epoch: 3)
        let partition = try #require(replicas.partition(topicPartition))
        #expect(logManager.directory(of: topicPartition) == a)
        for _ in 0..<50 { try produce(partition, count: 20) }

        #expect(replicas.alterReplicaLogDir(topicPartition, to: root + "/c") == .logDirNotFound)
        #expect(replicas.alterReplicaLogDir(TopicPartition("other", 0), to: b) == .replicaNotAvailable)
        #expect(replicas.alterReplicaLogDir(topicPartition, to: a) == .none)
        #expect(logManager.futureLogDirectories.isEmpty, "already there: nothing to move")
        #expect(replicas.alterReplicaLogDir(topicPartition, to: b) == .none)
        #expect(replicas.alterReplicaLogDir(topicPartition, to: b) == .none)
        #expect(logManager.futureLogDirectories == [topicPartition: b])
        let future = try #require(logManager.futureLog(for: topicPartition))
        #expect(future.directory.hasPrefix(b + "/t-0.") && future.directory.hasSuffix("-future"))

        // The producer goes on while the copy is made; a new leader epoch starts without a batch; records go.
        try produce(partition, count: 5)
        lead(replicas, epoch: 4)
        #expect(partition.deleteRecords(before: 7).0 == .none)
        let old = partition.log
        let before = try contents(old, from: 7)
        let (end, epochs) = (old.logEndOffset, old.leaderEpochs.map { "\($0.epoch)@\($0.startOffset)" })
        // Kafka's cache moves the first epoch's start up to the new log start.
        #expect(end == 1005 && epochs == ["3@7", "4@1005"])

        await replicas.moveFutureLogs()
        #expect(logManager.directory(of: topicPartition) == b)
        #expect(logManager.futureLogDirectories.isEmpty && partition.futureLog == nil)
        let moved = partition.log
        #expect(moved !== old && moved.directory == b + "/t-0")
        #expect(moved.logEndOffset == end && moved.logStartOffset == 7)
        #expect(moved.leaderEpochs.map { "\($0.epoch)@\($0.startOffset)" } == epochs)
        #expect(try contents(moved, from: 7) == before)
        // The old directory is retired under a -delete name; readers holding the old log still read it.
        let inA = try FileManager.default.contentsOfDirectory(atPath: a)
        #expect(!inA.contains("t-0") && inA.contains { $0.hasPrefix("t-0.") && $0.hasSuffix("-delete") })
        #expect(try contents(old, from: 7) == before)

        try produce(partition, count: 3)
        #expect(moved.logEndOffset == 1008 && moved.leaderEpochs.last?.epoch == 4)
        logManager.shutdown()

        let restarted = try broker()
        try await restarted.logManager.startup()
        #expect(restarted.logManager.directory(of: topicPartition) == b)
        #expect(restarted.logManager.log(for: topicPartition)?.logEndOffset == 1008)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: a)).contains { $0.hasPrefix("t-0") })
        restarted.logManager.shutdown()
    }

    @Test func aMoveInterruptedByARestartResumes() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let replicas = try broker()
        try await replicas.logManager.startup()
        lead(replicas, epoch: 0)
        try produce(try #require(replicas.partition(topicPartition)), count: 10)
        #expect(replicas.alterReplicaLogDir(topicPartition, to: b) == .none)
        #expect(try replicas.partition(topicPartition)!.copyToFutureLog(maxBytes: 1 << 20).caughtUp)
        replicas.logManager.shutdown()

        let restarted = try broker()
        try await restarted.logManager.startup()
        #expect(restarted.logManager.futureLogDirectories == [topicPartition: b])
        #expect(restarted.logManager.futureLog(for: topicPartition)?.logEndOffset == 10)
        lead(restarted, epoch: 1)
        let partition = try #require(restarted.partition(topicPartition))
        #expect(partition.futureLog != nil, "the partition takes the copy back")
        try produce(partition, count: 2)
        await restarted.moveFutureLogs()
        #expect(restarted.logManager.directory(of: topicPartition) == b && partition.log.logEndOffset == 12)
        restarted.logManager.shutdown()
    }

    @Test func truncationsReachTheCopyAndAnotherTargetAbandonsIt() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let replicas = try broker()
        try await replicas.logManager.startup()
        _ = replicas.becomeLeaderOrFollower(
            topicPartition,
            leader: 2,
            leaderEpoch: 0,
            isr: [1, 2],
            replicas: [1, 2],
            config: LogConfig()
        )
        let partition = try #require(replicas.partition(topicPartition))
        _ = try partition.appendAsFollower(ScriptedLeader.batch(baseOffset: 0, epoch: 0, count: 4))
        _ = try partition.appendAsFollower(ScriptedLeader.batch(baseOffset: 4, epoch: 0, count: 4))
        #expect(replicas.alterReplicaLogDir(topicPartition, to: b) == .none)
        let step = try partition.copyToFutureLog(maxBytes: 1 << 20)
        #expect(step.caughtUp && step.copied > 0 && partition.futureLog?.logEndOffset == 8)
        // The follower diverged from its leader: both logs are cut at 4.
        try partition.truncate(to: 4)
        #expect(partition.log.logEndOffset == 4 && partition.futureLog?.logEndOffset == 4)
        try partition.truncateFully(startingAt: 20)
        #expect(partition.futureLog?.logStartOffset == 20 && partition.futureLog?.logEndOffset == 20)
        // Asked back to where it is: the copy is dropped and removed from disk.
        let copy = try #require(partition.futureLog).directory
        #expect(replicas.alterReplicaLogDir(topicPartition, to: a) == .none)
        #expect(partition.futureLog == nil && replicas.logManager.futureLogDirectories.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: copy))
        replicas.logManager.shutdown()
    }
}
