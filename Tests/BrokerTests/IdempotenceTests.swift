import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOCore
import Testing

/// Kafka's idempotent-producer rules at the partition leader, on a real log.
@Suite("Idempotent producers")
struct IdempotenceTests {
    private func batch(producer: Int64, epoch: Int16, sequence: Int32, count: Int = 3) -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.producerID = producer
        builder.producerEpoch = epoch
        builder.baseSequence = sequence
        for index in 0..<count { builder.append(timestamp: 1, key: [UInt8(index)], value: [1]) }
        return builder.build().buffer
    }

    private func leader(_ directory: String) throws -> Partition {
        let log = try Log.load(
            directory: directory,
            topicPartition: TopicPartition("t", 0),
            config: LogConfig(),
            recoveryPoint: 0,
            logStartOffset: 0,
            hadCleanShutdown: true,
            clock: ManualClock(),
            logger: Logger(label: "test")
        )
        let partition = Partition(topicPartition: TopicPartition("t", 0), log: log, localBrokerID: 1, highWatermark: 0)
        try partition.apply(leader: 1, leaderEpoch: 0, isr: [1], replicas: [1])
        return partition
    }

    @Test func duplicatesGetTheOriginalOffsetAndGapsAreRefused() throws {
        let directory = NSTemporaryDirectory() + "idempotence-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let partition = try leader(directory)
        #expect(
            try partition.appendAsLeader(batch(producer: 9, epoch: 0, sequence: 0), origin: .client, requiredAcks: -1)
                .firstOffset == 0
        )
        #expect(
            try partition.appendAsLeader(batch(producer: 9, epoch: 0, sequence: 3), origin: .client, requiredAcks: -1)
                .firstOffset == 3
        )
        // A retry of the first batch: answered with its offset, not written again.
        let duplicate = try partition.appendAsLeader(
            batch(producer: 9, epoch: 0, sequence: 0),
            origin: .client,
            requiredAcks: -1
        )
        #expect(duplicate.firstOffset == 0)
        #expect(partition.log.logEndOffset == 6)
        // A gap in the sequence.
        do {
            _ = try partition.appendAsLeader(
                batch(producer: 9, epoch: 0, sequence: 10),
                origin: .client,
                requiredAcks: -1
            )
            Issue.record("a sequence gap was accepted")
        } catch {
            #expect(error.errorCode == .outOfOrderSequenceNumber)
        }
        // An older epoch after a newer one.
        #expect(
            try partition.appendAsLeader(batch(producer: 9, epoch: 1, sequence: 0), origin: .client, requiredAcks: -1)
                .firstOffset == 6
        )
        do {
            _ = try partition.appendAsLeader(
                batch(producer: 9, epoch: 0, sequence: 6),
                origin: .client,
                requiredAcks: -1
            )
            Issue.record("an old epoch was accepted")
        } catch {
            #expect(error.errorCode == .invalidProducerEpoch)
        }
        // A new epoch must start at 0.
        do {
            _ = try partition.appendAsLeader(
                batch(producer: 9, epoch: 2, sequence: 5),
                origin: .client,
                requiredAcks: -1
            )
            Issue.record("a new epoch not starting at 0 was accepted")
        } catch {
            #expect(error.errorCode == .outOfOrderSequenceNumber)
        }
        // Another producer is independent; only the last five batches are remembered.
        for index in 0..<7 {
            _ = try partition.appendAsLeader(
                batch(producer: 4, epoch: 0, sequence: Int32(index * 3)),
                origin: .client,
                requiredAcks: 1
            )
        }
        #expect(
            try partition.appendAsLeader(batch(producer: 4, epoch: 0, sequence: 18), origin: .client, requiredAcks: 1)
                .firstOffset
                == partition.log.logEndOffset - 3
        )
        #expect(partition.highWatermark == partition.log.logEndOffset)
    }

    @Test func notEnoughInSyncReplicasRefusesAcksAll() throws {
        let directory = NSTemporaryDirectory() + "minisr-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let partition = try leader(directory)
        var config = partition.log.config
        config.minInSyncReplicas = 2
        partition.log.updateConfig(config)
        do {
            _ = try partition.appendAsLeader(
                batch(producer: -1, epoch: -1, sequence: -1),
                origin: .client,
                requiredAcks: -1
            )
            Issue.record("acks=all with one in-sync replica and min.insync.replicas=2 was accepted")
        } catch {
            #expect(error.errorCode == .notEnoughReplicas)
        }
        #expect(
            try partition.appendAsLeader(batch(producer: -1, epoch: -1, sequence: -1), origin: .client, requiredAcks: 1)
                .firstOffset == 0
        )
    }
}
