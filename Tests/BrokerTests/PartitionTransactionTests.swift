import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOCore
import Testing

/// Transactions at a partition, on a real log: transactional batches open a producer's transaction, markers close
/// it, the last stable offset waits for both the marker and its replication, aborted transactions go to the
/// marker's segment's `.txnindex`, and all of it survives a restart.
@Suite("Transactions at a partition")
struct PartitionTransactionTests {
    private func batch(
        producer: Int64,
        epoch: Int16 = 0,
        sequence: Int32,
        transactional: Bool,
        count: Int = 2
    )
        -> ByteBuffer
    {
        var builder = RecordBatchBuilder()
        builder.producerID = producer
        builder.producerEpoch = epoch
        builder.baseSequence = sequence
        builder.isTransactional = transactional
        for index in 0..<count { builder.append(timestamp: 5, key: [UInt8(index)], value: [2]) }
        return builder.build().buffer
    }

    private func marker(
        _ type: ControlRecordType,
        producer: Int64,
        epoch: Int16 = 0,
        coordinatorEpoch: Int32 = 3
    )
        -> ByteBuffer
    {
        RecordBatchBuilder.controlBatch(
            type,
            coordinatorEpoch: coordinatorEpoch,
            producerID: producer,
            producerEpoch: epoch,
            timestamp: 6
        ).buffer
    }

    /// A leader of replicas 1 and 2 (the follower 2 moves the high watermark by its fetches).
    private func open(_ directory: String) throws -> Partition {
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
        try partition.apply(leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2])
        return partition
    }

    private func replicate(_ partition: Partition) {
        let end = partition.log.logEndOffset
        _ = partition.updateFollowerFetchState(replica: 2, fetchOffset: end, leaderLogEndOffset: end, nowMs: 1)
    }

    private func errorCode(_ body: () throws -> LeaderAppend) -> KafkaErrorCode? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? Partition.AppendError)?.errorCode
        }
    }

    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "transactions-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func theLastStableOffsetWaitsForTheMarkerAndItsReplication() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            _ = try partition.appendAsLeader(
                batch(producer: -1, sequence: -1, transactional: false),
                origin: .client,
                requiredAcks: 1
            )
            // Producer 7's transaction opens at 2; producer 8 writes without one.
            _ = try partition.appendAsLeader(
                batch(producer: 7, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            _ = try partition.appendAsLeader(
                batch(producer: 8, sequence: 0, transactional: false),
                origin: .client,
                requiredAcks: 1
            )
            replicate(partition)
            #expect(partition.highWatermark == 6)
            #expect(partition.lastStableOffset == 2)
            // A non-transactional write while its transaction is open.
            #expect(
                errorCode {
                    try partition.appendAsLeader(
                        batch(producer: 7, sequence: 2, transactional: false),
                        origin: .client,
                        requiredAcks: 1
                    )
                } == .invalidTxnState
            )
            _ = try partition.appendAsLeader(marker(.commit, producer: 7), origin: .coordinator, requiredAcks: -1)
            // The marker at 6 is not replicated yet: the transaction still holds the last stable offset.
            #expect(partition.lastStableOffset == 2)
            replicate(partition)
            #expect(partition.highWatermark == 7)
            #expect(partition.lastStableOffset == 7)
            // A committed transaction is not indexed.
            #expect(try partition.log.abortedTransactions(fetchOffset: 0, upperBoundOffset: 7).isEmpty)
            partition.log.close()
        }
    }

    @Test func anAbortIsIndexedWithTheOtherOpenTransactionAsItsStableOffset() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            _ = try partition.appendAsLeader(
                batch(producer: 7, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            _ = try partition.appendAsLeader(
                batch(producer: 9, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            _ = try partition.appendAsLeader(
                batch(producer: 7, sequence: 2, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            _ = try partition.appendAsLeader(marker(.abort, producer: 7), origin: .coordinator, requiredAcks: -1)
            replicate(partition)
            // Producer 9's transaction (from 2) is still open.
            #expect(partition.lastStableOffset == 2)
            let expected = AbortedTransaction(producerID: 7, firstOffset: 0, lastOffset: 6, lastStableOffset: 2)
            #expect(try partition.log.abortedTransactions(fetchOffset: 0, upperBoundOffset: 7) == [expected])
            #expect(try partition.log.abortedTransactions(fetchOffset: 7, upperBoundOffset: 7).isEmpty)
            // Kafka's 34 bytes: version 0, producer id, first offset, last offset, last stable offset.
            var bytes: [UInt8] = [0, 0]
            for value: Int64 in [7, 0, 6, 2] { bytes += withUnsafeBytes(of: value.bigEndian, Array.init) }
            let file = TransactionIndex(directory: directory, baseOffset: 0).path
            #expect(FileManager.default.contents(atPath: file).map(Array.init) == bytes)
            _ = try partition.appendAsLeader(marker(.commit, producer: 9), origin: .coordinator, requiredAcks: -1)
            replicate(partition)
            #expect(partition.lastStableOffset == 8)
            partition.log.close()
        }
    }

    @Test func markersFromAnOlderProducerOrCoordinatorEpochAreFenced() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            _ = try partition.appendAsLeader(
                batch(producer: 7, epoch: 4, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            #expect(
                errorCode {
                    try partition.appendAsLeader(
                        marker(.abort, producer: 7, epoch: 3),
                        origin: .coordinator,
                        requiredAcks: -1
                    )
                } == .invalidProducerEpoch
            )
            _ = try partition.appendAsLeader(
                marker(.abort, producer: 7, epoch: 5, coordinatorEpoch: 10),
                origin: .coordinator,
                requiredAcks: -1
            )
            #expect(
                errorCode {
                    try partition.appendAsLeader(
                        marker(.commit, producer: 7, epoch: 5, coordinatorEpoch: 9),
                        origin: .coordinator,
                        requiredAcks: -1
                    )
                } == .transactionCoordinatorFenced
            )
            // The abort marker bumped the producer to epoch 5: its old epoch is fenced for data too.
            #expect(
                errorCode {
                    try partition.appendAsLeader(
                        batch(producer: 7, epoch: 4, sequence: 2, transactional: true),
                        origin: .client,
                        requiredAcks: 1
                    )
                } == .invalidProducerEpoch
            )
            partition.log.close()
        }
    }

    @Test func anOpenTransactionAndTheIndexSurviveARestart() throws {
        try withDirectory { directory in
            let first = try open(directory)
            _ = try first.appendAsLeader(
                batch(producer: 7, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            _ = try first.appendAsLeader(marker(.abort, producer: 7), origin: .coordinator, requiredAcks: -1)
            _ = try first.appendAsLeader(
                batch(producer: 9, sequence: 0, transactional: true),
                origin: .client,
                requiredAcks: 1
            )
            first.writeProducerSnapshot()
            first.log.close()

            let second = try open(directory)
            replicate(second)
            #expect(second.highWatermark == 5)
            #expect(second.lastStableOffset == 3)
            // The replay after the snapshot at 5 found nothing to index again; the entry is there once.
            let aborted = AbortedTransaction(producerID: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3)
            #expect(try second.log.abortedTransactions(fetchOffset: 0, upperBoundOffset: 5) == [aborted])
            second.log.close()
            // Without the snapshot the replay of the active segment finds the same.
            try FileManager.default.removeItem(atPath: ProducerSnapshotFile.path(directory, offset: 5))
            let third = try open(directory)
            replicate(third)
            #expect(third.lastStableOffset == 3)
            #expect(try third.log.abortedTransactions(fetchOffset: 0, upperBoundOffset: 5) == [aborted])
            third.log.close()
        }
    }

    @Test func aFollowerTracksTheLeadersTransactionsAndIndexesItsAborts() throws {
        try withDirectory { directory in
            let partition = try open(directory)
            try partition.apply(leader: 2, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2])
            var data = RecordBatchBuilder(baseOffset: 0)
            data.producerID = 7
            data.producerEpoch = 0
            data.baseSequence = 0
            data.isTransactional = true
            for index in 0..<3 { data.append(timestamp: 5, key: [UInt8(index)], value: [2]) }
            var fetched = data.build().buffer
            var abort = RecordBatchBuilder.controlBatch(
                .abort,
                coordinatorEpoch: 3,
                producerID: 7,
                producerEpoch: 0,
                baseOffset: 3,
                timestamp: 6
            ).buffer
            fetched.writeBuffer(&abort)
            _ = try partition.appendAsFollower(fetched)
            partition.updateFollowerHighWatermark(4)
            #expect(partition.lastStableOffset == 4)
            let aborted = AbortedTransaction(producerID: 7, firstOffset: 0, lastOffset: 3, lastStableOffset: 4)
            #expect(try partition.log.abortedTransactions(fetchOffset: 0, upperBoundOffset: 4) == [aborted])
            partition.log.close()
        }
    }
}
