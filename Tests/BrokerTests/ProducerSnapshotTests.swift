import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOCore
import Testing

/// Producer state across restarts: snapshots written at segment rolls and at a clean shutdown, loaded when the
/// partition opens, cut back by truncations; on a real log in a temporary directory.
@Suite("Producer snapshots")
struct ProducerSnapshotTests {
    /// A batch of `count` records, all with timestamp `timestamp`.
    private func batch(
        producer: Int64,
        epoch: Int16 = 0,
        sequence: Int32,
        count: Int = 3,
        timestamp: Int64 = 7,
        transactional: Bool = false
    )
        -> ByteBuffer
    {
        var builder = RecordBatchBuilder()
        builder.isTransactional = transactional
        builder.producerID = producer
        builder.producerEpoch = epoch
        builder.baseSequence = sequence
        for index in 0..<count { builder.append(timestamp: timestamp, key: [UInt8(index)], value: [1]) }
        return builder.build().buffer
    }

    /// A leader on `directory` whose segments hold one three-record batch each (every later batch rolls).
    private func open(_ directory: String) throws -> Partition {
        var config = LogConfig()
        config.segmentBytes = 120
        let log = try Log.load(
            directory: directory,
            topicPartition: TopicPartition("t", 0),
            config: config,
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

    private func append(_ partition: Partition, _ records: ByteBuffer) throws -> Int64 {
        try partition.appendAsLeader(records, origin: .client, requiredAcks: 1).firstOffset
    }

    private func errorCode(_ partition: Partition, _ records: ByteBuffer) -> KafkaErrorCode? {
        do {
            _ = try partition.appendAsLeader(records, origin: .client, requiredAcks: 1)
            return nil
        } catch {
            return error.errorCode
        }
    }

    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "snapshots-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func aRollSavesTheStateBeforeTheBatchThatRolled() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            #expect(try append(partition, batch(producer: 9, sequence: 0, timestamp: 5)) == 0)
            #expect(try append(partition, batch(producer: 9, sequence: 3, timestamp: 6)) == 3)
            #expect(try append(partition, batch(producer: 4, epoch: 2, sequence: 0, count: 2, timestamp: 8)) == 6)
            #expect(partition.log.segmentBaseOffsets == [0, 3, 6])
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3, 6])
            // As of 3: producer 9's first batch (sequences 0-2 at offsets 0-2).
            #expect(
                try ProducerSnapshotFile.read(ProducerSnapshotFile.path(directory, offset: 3)) == [
                    ProducerSnapshotEntry(
                        producerID: 9,
                        epoch: 0,
                        lastSequence: 2,
                        lastOffset: 2,
                        offsetDelta: 2,
                        timestamp: 5
                    )
                ]
            )
            // As of 6: producer 9's second batch; producer 4 not yet.
            #expect(
                try ProducerSnapshotFile.read(ProducerSnapshotFile.path(directory, offset: 6)) == [
                    ProducerSnapshotEntry(
                        producerID: 9,
                        epoch: 0,
                        lastSequence: 5,
                        lastOffset: 5,
                        offsetDelta: 2,
                        timestamp: 6
                    )
                ]
            )
            // A clean shutdown saves both, as of the log end.
            partition.writeProducerSnapshot()
            #expect(
                try ProducerSnapshotFile.read(ProducerSnapshotFile.path(directory, offset: 8)) == [
                    ProducerSnapshotEntry(
                        producerID: 4,
                        epoch: 2,
                        lastSequence: 1,
                        lastOffset: 7,
                        offsetDelta: 1,
                        timestamp: 8
                    ),
                    ProducerSnapshotEntry(
                        producerID: 9,
                        epoch: 0,
                        lastSequence: 5,
                        lastOffset: 5,
                        offsetDelta: 2,
                        timestamp: 6
                    ),
                ]
            )
            partition.log.close()
        }
    }

    @Test func aProducerWhoseBatchesAreInOlderSegmentsIsStillKnownAfterARestart() throws {
        try withDirectory { directory in
            let first = try open(directory)
            for sequence in stride(from: Int32(0), to: 9, by: 3) {
                _ = try append(first, batch(producer: 9, sequence: sequence))
            }
            // Another producer's batch fills the active segment, so producer 9 has none there.
            _ = try append(first, batch(producer: 4, sequence: 0))
            #expect(first.log.segmentBaseOffsets.last == 9)
            first.log.close()  // no clean-shutdown snapshot: the one written at the roll to 9 serves

            let second = try open(directory)
            // A retry of producer 9's last batch is still a duplicate, answered with its offset.
            #expect(try append(second, batch(producer: 9, sequence: 6)) == 6)
            #expect(second.log.logEndOffset == 12)
            // A gap and an older epoch are still refused.
            #expect(errorCode(second, batch(producer: 9, sequence: 20)) == .outOfOrderSequenceNumber)
            #expect(try append(second, batch(producer: 9, sequence: 9)) == 12)
            second.log.close()
        }
    }

    @Test func theCleanShutdownSnapshotIsLoaded() throws {
        try withDirectory { directory in
            let first = try open(directory)
            _ = try append(first, batch(producer: 9, epoch: 3, sequence: 0))
            _ = try append(first, batch(producer: 5, sequence: 0))  // rolls to 3
            first.writeProducerSnapshot()
            first.log.close()
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3, 6])
            try FileManager.default.removeItem(atPath: ProducerSnapshotFile.path(directory, offset: 3))

            // Producer 9 wrote only in the older segment: the snapshot at 6 is all that knows it.
            let second = try open(directory)
            #expect(try append(second, batch(producer: 9, epoch: 3, sequence: 0)) == 0)
            #expect(errorCode(second, batch(producer: 9, epoch: 2, sequence: 3)) == .invalidProducerEpoch)
            #expect(errorCode(second, batch(producer: 9, epoch: 3, sequence: 4)) == .outOfOrderSequenceNumber)
            #expect(try append(second, batch(producer: 5, sequence: 0)) == 3)
            #expect(try append(second, batch(producer: 9, epoch: 3, sequence: 3)) == 6)
            second.log.close()
        }
    }

    @Test func aTruncationDeletesLaterSnapshotsAndReloads() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            for sequence in stride(from: Int32(0), to: 12, by: 3) {
                _ = try append(partition, batch(producer: 9, sequence: sequence))
            }
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3, 6, 9])
            try partition.apply(leader: 2, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2])
            try partition.truncate(to: 6)
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3, 6])
            try partition.apply(leader: 1, leaderEpoch: 2, isr: [1], replicas: [1, 2])
            // The batches at 6 and 9 are gone: sequence 6 is the next one, not a duplicate.
            #expect(try append(partition, batch(producer: 9, sequence: 6)) == 6)
            #expect(errorCode(partition, batch(producer: 9, sequence: 12)) == .outOfOrderSequenceNumber)

            try partition.apply(leader: 2, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2])
            try partition.truncateFully(startingAt: 50)
            #expect(ProducerSnapshotFile.offsets(in: directory).isEmpty)
            partition.log.close()
        }
    }

    @Test func aDamagedSnapshotIsDeletedAndAnOlderOneServes() throws {
        try withDirectory { directory in
            let first = try open(directory)
            for sequence in stride(from: Int32(0), to: 9, by: 3) {
                _ = try append(first, batch(producer: 9, sequence: sequence))
            }
            first.log.close()
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3, 6])
            let damaged = ProducerSnapshotFile.path(directory, offset: 6)
            var bytes = try #require(FileManager.default.contents(atPath: damaged))
            bytes[bytes.count - 1] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: damaged))

            let second = try open(directory)
            #expect(ProducerSnapshotFile.offsets(in: directory) == [3])
            // From the snapshot at 3 and the batches replayed after it: the batch at 6 is the last one.
            #expect(try append(second, batch(producer: 9, sequence: 6)) == 6)
            #expect(try append(second, batch(producer: 9, sequence: 9)) == 9)
            second.log.close()
        }
    }

    @Test func idleProducersExpireButNotOnesWithAnOpenTransaction() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            _ = try append(partition, batch(producer: 9, sequence: 0, timestamp: 5))
            _ = try append(partition, batch(producer: 4, sequence: 0, timestamp: 1_000))
            _ = try append(partition, batch(producer: 11, sequence: 0, timestamp: 0, transactional: true))
            // Producer 9's last write is exactly the expiration old; producer 11's too, but its transaction is open.
            #expect(partition.removeExpiredProducers(now: 1_005, expirationMs: 1_000) == 1)
            #expect(partition.activeProducers.map(\.producerID) == [4, 11])
            // Forgotten: producer 9 may start anywhere again (a gap was OUT_OF_ORDER_SEQUENCE_NUMBER before).
            #expect(
                errorCode(partition, batch(producer: 4, sequence: 9, timestamp: 1_001)) == .outOfOrderSequenceNumber
            )
            #expect(errorCode(partition, batch(producer: 9, sequence: 9, timestamp: 1_001)) == nil)
        }
    }
}
