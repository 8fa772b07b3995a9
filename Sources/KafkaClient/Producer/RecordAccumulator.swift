import KafkaCore
import Synchronization

/// The producer's partition queues (Kafka's `RecordAccumulator`), one per partition written to, made on first use.
/// The map is read on every append under a short lock; each queue has its own lock for its batches.
final class RecordAccumulator: Sendable {
    private let byPartition = Mutex<[TopicPartition: PartitionQueue]>([:])

    /// The queue of `partition`, made when it has none.
    func queue(for partition: TopicPartition) -> PartitionQueue {
        byPartition.withLock { queues in
            if let queue = queues[partition] { return queue }
            let queue = PartitionQueue(partition: partition)
            queues[partition] = queue
            return queue
        }
    }

    var queues: [PartitionQueue] { byPartition.withLock { Array($0.values) } }

    /// Whether no batch waits and none is in flight.
    var isIdle: Bool { queues.allSatisfy(\.isIdle) }
}
