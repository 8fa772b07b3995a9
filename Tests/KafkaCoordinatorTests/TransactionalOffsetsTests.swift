import KafkaCoordinator
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Synchronization
import Testing

/// Offsets committed in a transaction (TxnOffsetCommit) in `TopicOffsetStore`: pending until the transaction's
/// marker, applied by a COMMIT, dropped by an ABORT, and replayed the same way when a partition is loaded.
@Suite("Transactional offsets")
struct TransactionalOffsetsTests {
    final class Appended: Sendable {
        let batches = Mutex<[ByteBuffer]>([])
    }

    private func store(appended: Appended = Appended()) -> TopicOffsetStore {
        TopicOffsetStore(partitions: 1, clock: ManualClock()) { _, records in
            appended.batches.withLock { $0.append(records) }
        }
    }

    private func offset(_ value: Int64) -> CommittedOffset { CommittedOffset(offset: value, commitTimestamp: 1) }

    @Test func pendingOffsetsCountOnlyWhenTheirTransactionCommits() async throws {
        let appended = Appended()
        let store = store(appended: appended)
        let partition = TopicPartition("in", 0)
        try await store.commitTransactional(
            group: "g",
            producerID: 9,
            producerEpoch: 2,
            offsets: [partition: offset(5)]
        )
        // One transactional batch of the producer, sequence 0.
        var written = try #require(appended.batches.withLock { $0.first })
        let batch = try #require(try RecordBatch.nextBatch(from: &written))
        #expect(batch.isTransactional && batch.producerID == 9 && batch.producerEpoch == 2 && batch.baseSequence == 0)
        #expect(try await store.fetch(group: "g", partitions: nil).isEmpty)
        #expect(store.hasPendingOffset(group: "g", partition: partition))
        store.completeTransaction(producerID: 9, commit: true, partition: 0)
        #expect(try await store.fetch(group: "g", partitions: nil) == [partition: offset(5)])
        #expect(!store.hasPendingOffset(group: "g", partition: partition))

        try await store.commitTransactional(
            group: "g",
            producerID: 9,
            producerEpoch: 2,
            offsets: [partition: offset(9)]
        )
        store.completeTransaction(producerID: 9, commit: false, partition: 0)
        #expect(try await store.fetch(group: "g", partitions: nil) == [partition: offset(5)])
    }

    @Test func loadingReplaysMarkers() async throws {
        let store = store()
        func records(_ values: [(TopicPartition, Int64)]) -> [Record] {
            values.map { partition, value in
                Record(
                    offset: 0,
                    timestamp: 1,
                    key: ByteBuffer(bytes: OffsetsTopicRecords.offsetKey(group: "g", partition: partition)),
                    value: ByteBuffer(bytes: OffsetsTopicRecords.offsetValue(offset(value)))
                )
            }
        }
        let (zero, one) = (TopicPartition("in", 0), TopicPartition("in", 1))
        store.load(
            partition: 0,
            batches: [
                OffsetsTopicBatch(records: records([(zero, 5)])),
                OffsetsTopicBatch(producerID: 9, isTransactional: true, records: records([(zero, 7)])),
                OffsetsTopicBatch(producerID: 9, marker: .init(type: .abort, coordinatorEpoch: 1), records: []),
                OffsetsTopicBatch(producerID: 9, isTransactional: true, records: records([(zero, 8)])),
                OffsetsTopicBatch(producerID: 9, marker: .init(type: .commit, coordinatorEpoch: 1), records: []),
                OffsetsTopicBatch(producerID: 10, isTransactional: true, records: records([(one, 3)])),
            ]
        )
        #expect(try await store.fetch(group: "g", partitions: nil) == [zero: offset(8)])
        #expect(store.hasPendingOffset(group: "g", partition: one))
        store.completeTransaction(producerID: 10, commit: true, partition: 0)
        #expect(try await store.fetch(group: "g", partitions: nil) == [zero: offset(8), one: offset(3)])
    }
}
