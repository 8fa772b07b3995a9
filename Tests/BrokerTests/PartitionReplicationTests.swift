import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOCore
import Testing

/// The replication state machine of one partition on a real log: the high watermark as the smallest log end
/// offset in the ISR, ISR shrink and expansion proposals, acks=all completion, follower appends and truncation
/// with the producer state that goes with them.
@Suite("Partition replication")
struct PartitionReplicationTests {
    private let topicPartition = TopicPartition("t", 0)

    private func batch(
        producer: Int64 = -1,
        sequence: Int32 = -1,
        baseOffset: Int64 = 0,
        leaderEpoch: Int32 = -1,
        count: Int = 3
    ) -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.baseOffset = baseOffset
        builder.partitionLeaderEpoch = leaderEpoch
        if producer >= 0 {
            builder.producerID = producer
            builder.producerEpoch = 0
            builder.baseSequence = sequence
        }
        for index in 0..<count { builder.append(timestamp: 1, key: [UInt8(index)], value: [1]) }
        return builder.build().buffer
    }

    private func partition(_ directory: String, broker: BrokerID, minInSyncReplicas: Int = 2) throws -> Partition {
        var config = LogConfig()
        config.minInSyncReplicas = minInSyncReplicas
        let log = try Log.load(
            directory: directory,
            topicPartition: topicPartition,
            config: config,
            recoveryPoint: 0,
            logStartOffset: 0,
            hadCleanShutdown: true,
            clock: ManualClock(),
            logger: Logger(label: "test")
        )
        return Partition(topicPartition: topicPartition, log: log, localBrokerID: broker, highWatermark: 0)
    }

    private func withDirectory<T>(_ body: (String) throws -> T) rethrows -> T {
        let directory = NSTemporaryDirectory() + "partition-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try body(directory)
    }

    @Test func highWatermarkIsTheSmallestLogEndOffsetInTheIsr() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1)
            #expect(try leader.apply(leader: 1, leaderEpoch: 0, isr: [1, 2, 3], replicas: [1, 2, 3]) == .becameLeader)
            let targets = try (0..<3).map { _ in
                try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1).replicationTarget
            }
            #expect(targets.map(\.offset) == [3, 6, 9])
            #expect(leader.log.logEndOffset == 9)
            #expect(leader.highWatermark == 0)
            #expect(leader.checkEnoughReplicasReach(targets[2]) == nil)
            // Follower 2 has everything, follower 3 nothing known yet: no move.
            #expect(
                !leader.updateFollowerFetchState(replica: 2, fetchOffset: 9, leaderLogEndOffset: 9, nowMs: 10)
                    .highWatermarkMoved
            )
            #expect(leader.highWatermark == 0)
            #expect(
                leader.updateFollowerFetchState(replica: 3, fetchOffset: 6, leaderLogEndOffset: 9, nowMs: 10)
                    .highWatermarkMoved
            )
            #expect(leader.highWatermark == 6)
            #expect(leader.checkEnoughReplicasReach(targets[1]) == KafkaErrorCode.none)
            #expect(leader.checkEnoughReplicasReach(targets[2]) == nil)
            _ = leader.updateFollowerFetchState(replica: 3, fetchOffset: 9, leaderLogEndOffset: 9, nowMs: 11)
            #expect(leader.highWatermark == 9)
            // It never moves back.
            _ = leader.updateFollowerFetchState(replica: 3, fetchOffset: 3, leaderLogEndOffset: 9, nowMs: 12)
            #expect(leader.highWatermark == 9)
        }
    }

    @Test func laggingFollowerIsProposedForRemovalAndTheShrinkCountsOnceWritten() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1, minInSyncReplicas: 2)
            try leader.apply(leader: 1, leaderEpoch: 4, isr: [1, 2, 3], replicas: [1, 2, 3], zkVersion: 7, nowMs: 0)
            _ = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1)
            _ = leader.updateFollowerFetchState(replica: 2, fetchOffset: 3, leaderLogEndOffset: 3, nowMs: 20_000)
            #expect(leader.isrShrinkProposal(nowMs: 20_000, maxLagMs: 30_000) == nil)
            let proposal = try #require(leader.isrShrinkProposal(nowMs: 30_001, maxLagMs: 30_000))
            #expect(proposal.isr == [1, 2])
            #expect(proposal.zkVersion == 7)
            #expect(proposal.leaderEpoch == 4)
            // One write at a time.
            #expect(leader.isrShrinkProposal(nowMs: 30_002, maxLagMs: 30_000) == nil)
            #expect(leader.current.isr == [1, 2, 3])
            #expect(leader.completeIsrUpdate(proposal, newZkVersion: 8))
            #expect(leader.current.isr == [1, 2])
            #expect(leader.current.zkVersion == 8)
            #expect(leader.highWatermark == 3)
        }
    }

    @Test func rejectedIsrWriteChangesNothingAndCaughtUpFollowerIsProposedBack() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1)
            try leader.apply(leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2, 3], zkVersion: 3, nowMs: 0)
            _ = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1)
            _ = leader.updateFollowerFetchState(replica: 2, fetchOffset: 3, leaderLogEndOffset: 3, nowMs: 1)
            #expect(leader.highWatermark == 3)
            // Behind the high watermark: not yet.
            #expect(
                leader.updateFollowerFetchState(replica: 3, fetchOffset: 1, leaderLogEndOffset: 3, nowMs: 2)
                    .expansion == nil
            )
            let expansion = try #require(
                leader.updateFollowerFetchState(replica: 3, fetchOffset: 3, leaderLogEndOffset: 3, nowMs: 3).expansion
            )
            #expect(expansion.isr == [1, 2, 3])
            #expect(!leader.completeIsrUpdate(expansion, newZkVersion: nil))
            #expect(leader.current.isr == [1, 2])
            #expect(leader.current.zkVersion == 3)
        }
    }

    @Test func tooFewInSyncReplicasRefuseAcksAllAndReportAfterAppend() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1, minInSyncReplicas: 2)
            try leader.apply(leader: 1, leaderEpoch: 0, isr: [1], replicas: [1, 2])
            #expect(throws: Partition.AppendError.self) {
                try leader.appendAsLeader(self.batch(), origin: .client, requiredAcks: -1)
            }
            let appended = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: 1)
            #expect(appended.firstOffset == 0)
            #expect(leader.checkEnoughReplicasReach(appended.replicationTarget) == .notEnoughReplicasAfterAppend)
            // The leader moves away: the append keeps the answer it had when the leadership ended.
            try leader.apply(leader: 2, leaderEpoch: 1, isr: [2], replicas: [1, 2])
            #expect(leader.checkEnoughReplicasReach(appended.replicationTarget) == .notEnoughReplicasAfterAppend)
        }
    }

    /// Two acks=all appends waiting when the leader moves away: the one the high watermark had passed is done, the
    /// other fails — never the later done while the earlier fails (a client then takes the earlier as written
    /// without an offset). Leading again does not bring a failed one back: its records may have been replaced.
    @Test func anAppendIsAnsweredByTheLeadershipThatWroteIt() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1)
            try leader.apply(leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2])
            let first = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1).replicationTarget
            let second = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1).replicationTarget
            _ = leader.updateFollowerFetchState(replica: 2, fetchOffset: 3, leaderLogEndOffset: 6, nowMs: 1)
            // An ISR change by the controller bumps the epoch, not the leadership.
            try leader.apply(leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2])
            #expect(leader.checkEnoughReplicasReach(first) == KafkaErrorCode.none)
            #expect(leader.checkEnoughReplicasReach(second) == nil)
            try leader.apply(leader: 2, leaderEpoch: 2, isr: [2, 1], replicas: [1, 2])
            #expect(leader.checkEnoughReplicasReach(first) == KafkaErrorCode.none)
            #expect(leader.checkEnoughReplicasReach(second) == .notLeaderOrFollower)
            try leader.apply(leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2])
            _ = leader.updateFollowerFetchState(replica: 2, fetchOffset: 6, leaderLogEndOffset: 6, nowMs: 2)
            #expect(leader.highWatermark == 6)
            #expect(leader.checkEnoughReplicasReach(second) == .notLeaderOrFollower)
            #expect(leader.checkEnoughReplicasReach(first) == .notLeaderOrFollower)
        }
    }

    @Test func leaderEpochsOrderTransitions() throws {
        try withDirectory { directory in
            let replica = try partition(directory, broker: 2)
            #expect(
                try replica.apply(leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2])
                    == .becameFollower(leader: 1, restartFetching: true)
            )
            #expect(try replica.apply(leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2]) == .unchanged)
            #expect(try replica.apply(leader: 1, leaderEpoch: 2, isr: [1, 2], replicas: [1, 2]) == .stale)
            #expect(replica.checkLeaderEpoch(3, requireLeader: false) == KafkaErrorCode.none)
            #expect(replica.checkLeaderEpoch(2, requireLeader: false) == .fencedLeaderEpoch)
            #expect(replica.checkLeaderEpoch(4, requireLeader: false) == .unknownLeaderEpoch)
            #expect(replica.checkLeaderEpoch(3, requireLeader: true) == .notLeaderOrFollower)
            #expect(try replica.apply(leader: 2, leaderEpoch: 4, isr: [2], replicas: [1, 2]) == .becameLeader)
        }
    }

    @Test func deleteRecordsMovesTheLogStartAndTheLowWatermarkFollowsTheIsr() throws {
        try withDirectory { directory in
            let leader = try partition(directory, broker: 1)
            try leader.apply(leader: 1, leaderEpoch: 0, isr: [1, 2, 3], replicas: [1, 2, 3])
            for _ in 0..<3 { _ = try leader.appendAsLeader(batch(), origin: .client, requiredAcks: -1) }
            for replica: BrokerID in [2, 3] {
                _ = leader.updateFollowerFetchState(
                    replica: replica,
                    fetchOffset: 6,
                    followerLogStartOffset: 0,
                    leaderLogEndOffset: 9,
                    nowMs: 10
                )
            }
            #expect(leader.highWatermark == 6)
            // Past the high watermark: refused; -1: the high watermark.
            #expect(leader.deleteRecords(before: 7).0 == .offsetOutOfRange)
            #expect(leader.log.logStartOffset == 0)
            let (error, required) = leader.deleteRecords(before: -1)
            #expect(error == KafkaErrorCode.none && required == 6)
            #expect(leader.log.logStartOffset == 6)
            // The low watermark waits for the in-sync followers' own log starts.
            #expect(leader.lowWatermark == 0)
            _ = leader.updateFollowerFetchState(
                replica: 2,
                fetchOffset: 9,
                followerLogStartOffset: 6,
                leaderLogEndOffset: 9,
                nowMs: 11
            )
            #expect(leader.lowWatermark == 0)
            _ = leader.updateFollowerFetchState(
                replica: 3,
                fetchOffset: 9,
                followerLogStartOffset: 6,
                leaderLogEndOffset: 9,
                nowMs: 11
            )
            #expect(leader.lowWatermark == 6)
            // An earlier offset changes nothing; a follower cannot delete.
            #expect(leader.deleteRecords(before: 2) == (.none, 6))
            let follower = try partition(directory + "/follower", broker: 2)
            try follower.apply(leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2])
            #expect(follower.deleteRecords(before: 0).0 == .notLeaderOrFollower)
            #expect(follower.lowWatermark == -1)
        }
    }

    @Test func followersRefuseBatchesWhoseChecksumFails() throws {
        try withDirectory { directory in
            let replica = try partition(directory, broker: 2, minInSyncReplicas: 1)
            try replica.apply(leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2])
            // A good batch followed by one with a flipped bit in its last record: neither is appended.
            var fetched = batch(baseOffset: 0, leaderEpoch: 0)
            var damaged = batch(baseOffset: 3, leaderEpoch: 0)
            let last = damaged.writerIndex - 1
            damaged.setInteger(damaged.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
            fetched.writeImmutableBuffer(damaged)
            #expect {
                _ = try replica.appendAsFollower(fetched)
            } throws: { error in
                guard case .corruptRecords(let reason) = error as? StorageError else { return false }
                return reason.contains("CRC") || reason.contains("crc")
            }
            #expect(replica.log.logEndOffset == 0)
            // The same fetch, undamaged, goes in whole.
            var whole = batch(baseOffset: 0, leaderEpoch: 0)
            whole.writeImmutableBuffer(batch(baseOffset: 3, leaderEpoch: 0))
            _ = try replica.appendAsFollower(whole)
            #expect(replica.log.logEndOffset == 6)
        }
    }

    @Test func replicatedProducersAreRecognisedAfterFailoverUnlessTruncated() throws {
        try withDirectory { directory in
            let replica = try partition(directory, broker: 2, minInSyncReplicas: 1)
            try replica.apply(leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2])
            _ = try replica.appendAsFollower(batch(producer: 7, sequence: 0, baseOffset: 0, leaderEpoch: 0))
            _ = try replica.appendAsFollower(batch(producer: 7, sequence: 3, baseOffset: 3, leaderEpoch: 0))
            #expect(replica.log.logEndOffset == 6)
            replica.updateFollowerHighWatermark(100)
            #expect(replica.highWatermark == 6)
            // The leader dies after replicating the second batch; its producer retries it at this replica.
            try replica.apply(leader: 2, leaderEpoch: 1, isr: [2], replicas: [1, 2])
            let retried = try replica.appendAsLeader(batch(producer: 7, sequence: 3), origin: .client, requiredAcks: 1)
            #expect(retried.firstOffset == 3)
            #expect(retried.batchCount == 0)  // a duplicate: not written again
            #expect(replica.log.logEndOffset == 6)
            // Truncating the second batch away forgets it: the retry is written again, after the first.
            try replica.apply(leader: 1, leaderEpoch: 2, isr: [1, 2], replicas: [1, 2])
            try replica.truncate(to: 3)
            #expect(replica.highWatermark == 3)
            try replica.apply(leader: 2, leaderEpoch: 3, isr: [2], replicas: [1, 2])
            let rewritten = try replica.appendAsLeader(
                batch(producer: 7, sequence: 3),
                origin: .client,
                requiredAcks: 1
            )
            #expect(rewritten.firstOffset == 3)
            #expect(rewritten.batchCount == 1)
            #expect(replica.log.logEndOffset == 6)
        }
    }
}
