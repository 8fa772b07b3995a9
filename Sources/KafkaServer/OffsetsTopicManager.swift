public import KafkaCoordinator
public import KafkaCore
import KafkaProtocol
public import KafkaReplication
import KafkaStorage
import Synchronization

/// The broker's side of `__consumer_offsets`: which groups this broker coordinates (those whose partition,
/// `abs(javaStringHashCode(group)) % offsets.topic.num.partitions`, it leads and has loaded), creating the topic on
/// first use, and loading a partition's offsets when this broker becomes its leader.
///
/// Created once at startup; LeaderAndIsr calls `leadershipChanged`, request handlers call `coordinatorError`.
/// Safe to share: the set of loaded partitions is behind a mutex.
public final class OffsetsTopicManager: Sendable {
    public static let topic = "__consumer_offsets"

    public let partitionCount: Int32
    /// The offsets kept in `__consumer_offsets`; nil with `offsets.storage=zookeeper`.
    public let topicStore: TopicOffsetStore?
    /// The partitions whose groups and offsets are loaded here (Kafka's owned partitions): a partition this broker
    /// leads but has not loaded yet answers COORDINATOR_LOAD_IN_PROGRESS, never offsets from an empty store.
    private let loaded = Mutex<Set<Int32>>([])

    let coordinator: GroupCoordinator

    public init(partitionCount: Int32, topicStore: TopicOffsetStore?, coordinator: GroupCoordinator) {
        self.partitionCount = partitionCount
        self.topicStore = topicStore
        self.coordinator = coordinator
    }

    public func partition(for group: String) -> TopicPartition {
        TopicPartition(Self.topic, GroupPartitioner.partition(for: group, partitions: partitionCount))
    }

    /// Nil when this broker coordinates `group`; otherwise the error for the client: NOT_COORDINATOR, or
    /// COORDINATOR_LOAD_IN_PROGRESS while the partition is led here but not loaded yet.
    public func coordinatorError(for group: String, replicaManager: ReplicaManager) -> KafkaErrorCode? {
        let topicPartition = partition(for: group)
        guard replicaManager.partition(topicPartition)?.isLeader == true else { return .notCoordinator }
        if !loaded.withLock({ $0.contains(topicPartition.partition) }) { return .coordinatorLoadInProgress }
        return nil
    }

    /// Called for every `__consumer_offsets` partition in a LeaderAndIsr request, after the replica manager applied
    /// it: a new leader replays the partition's log (offsets and groups); a follower forgets its groups.
    public func leadershipChanged(_ partitionID: Int32, isLeader: Bool, replicaManager: ReplicaManager) async {
        loaded.withLock { _ = $0.remove(partitionID) }
        let count = partitionCount
        await coordinator.unload { GroupPartitioner.partition(for: $0, partitions: count) == partitionID }
        guard let topicStore else {
            if isLeader { loaded.withLock { _ = $0.insert(partitionID) } }
            return
        }
        guard isLeader else {
            topicStore.unload(partition: partitionID)
            return
        }
        guard let partition = replicaManager.partition(TopicPartition(Self.topic, partitionID)) else { return }
        var batches: [OffsetsTopicBatch] = []
        let start = partition.log.logStartOffset
        partition.log.forEachBatch(from: start) { batch in
            if batch.isControl {
                // A transaction marker: not an offset or group record (its key would read as one).
                if let marker = batch.endTransactionMarker {
                    batches.append(OffsetsTopicBatch(producerID: batch.producerID, marker: marker, records: []))
                }
            } else if let batchRecords = try? batch.records(decompressionLimit: 64 << 20) {
                batches.append(
                    OffsetsTopicBatch(
                        producerID: batch.producerID,
                        isTransactional: batch.isTransactional,
                        records: batchRecords.filter { $0.offset >= start }
                    )
                )
            }
        }
        topicStore.load(partition: partitionID, batches: batches)
        await coordinator.restore(topicStore.takeLoadedGroups(partition: partitionID))
        await coordinator.restoreOffsetOnlyGroups(topicStore.groupsWithOffsets(partition: partitionID))
        loaded.withLock { _ = $0.insert(partitionID) }
    }
}
