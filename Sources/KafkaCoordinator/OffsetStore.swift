public import KafkaCore
public import KafkaProtocol
public import KafkaZooKeeper
public import NIOCore
import Synchronization

/// Where committed offsets live: the broker setting `offsets.storage`.
public protocol OffsetStore: Sendable {
    func commit(group: String, offsets: [TopicPartition: CommittedOffset]) async throws
    /// The group's committed offsets for `partitions`, or all of them when nil.
    func fetch(group: String, partitions: [TopicPartition]?) async throws -> [TopicPartition: CommittedOffset]
    /// Removes the group's committed offsets for `partitions` (all of them when nil).
    func delete(group: String, partitions: [TopicPartition]?) async throws
    /// Records the group's membership (nil: the group is gone), where the store keeps it.
    func storeGroup(_ group: String, _ value: GroupMetadataValue?) async throws
    /// The groups whose offsets may expire (`offsets.retention.minutes`).
    func expirableGroups() -> [String]
}

extension OffsetStore {
    /// Offsets in ZooKeeper never expire, as with Kafka's old consumer layout.
    public func expirableGroups() -> [String] { [] }

    /// Membership lives only in the coordinator, as with Kafka's ZooKeeper-stored offsets.
    public func storeGroup(_ group: String, _ value: GroupMetadataValue?) async throws {}
}

/// `offsets.storage=zookeeper`: `/consumers/<group>/offsets/<topic>/<partition>` as ASCII decimals, the old
/// consumer's layout (only the offset is kept there).
public struct ZooKeeperOffsetStore: OffsetStore {
    let zk: KafkaZkClient

    public init(zk: KafkaZkClient) { self.zk = zk }

    /// Writes every partition's znode at once (the requests are pipelined on the session).
    public func commit(group: String, offsets: [TopicPartition: CommittedOffset]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { writes in
            for (partition, offset) in offsets {
                writes.addTask {
                    try await zk.setConsumerOffset(group: group, partition: partition, offset: offset.offset)
                }
            }
            try await writes.waitForAll()
        }
    }

    public func fetch(group: String, partitions: [TopicPartition]?) async throws -> [TopicPartition: CommittedOffset] {
        var wanted = partitions ?? []
        if partitions == nil {
            let base = "\(ZkPaths.consumers)/\(group)/offsets"
            let topics = (try? await zk.zookeeper.children(base)) ?? []
            for topic in topics {
                for child in (try? await zk.zookeeper.children("\(base)/\(topic)")) ?? [] {
                    if let index = Int32(child) { wanted.append(TopicPartition(topic, index)) }
                }
            }
        }
        var result: [TopicPartition: CommittedOffset] = [:]
        for partition in wanted {
            if let offset = try await zk.getConsumerOffset(group: group, partition: partition) {
                result[partition] = CommittedOffset(offset: offset, commitTimestamp: -1)
            }
        }
        return result
    }

    public func delete(group: String, partitions: [TopicPartition]?) async throws {
        guard let partitions else {
            try await zk.deleteRecursively("\(ZkPaths.consumers)/\(group)")
            return
        }
        for partition in partitions {
            try await zk.deleteRecursively(
                "\(ZkPaths.consumers)/\(group)/offsets/\(partition.topic)/\(partition.partition)"
            )
        }
    }
}

/// `offsets.storage=kafka` (the default): commits are records in `__consumer_offsets` (see `OffsetsTopicRecords`),
/// written through `append` to the group's partition before they count, and kept in memory for OffsetFetch. When
/// this broker becomes leader of an offsets partition, `load` replays it (last record per key wins, tombstones
/// delete). Any task may use it.
public final class TopicOffsetStore: OffsetStore {
    public typealias Append = @Sendable (_ partition: Int32, _ records: ByteBuffer) async throws -> Void

    let partitions: Int32
    let append: Append
    let clock: any KafkaClock
    private let offsets = Mutex<[String: [TopicPartition: CommittedOffset]]>([:])
    private let groupRecords = Mutex<[String: GroupMetadataValue]>([:])

    public init(partitions: Int32, clock: any KafkaClock, append: @escaping Append) {
        self.partitions = partitions
        self.clock = clock
        self.append = append
    }

    public func commit(group: String, offsets committed: [TopicPartition: CommittedOffset]) async throws {
        var builder = RecordBatchBuilder()
        let now = clock.milliseconds
        for (partition, offset) in committed.sorted(by: { $0.key < $1.key }) {
            builder.append(
                timestamp: now,
                key: OffsetsTopicRecords.offsetKey(group: group, partition: partition),
                value: OffsetsTopicRecords.offsetValue(offset)
            )
        }
        guard !builder.isEmpty else { return }
        try await append(GroupPartitioner.partition(for: group, partitions: partitions), builder.build().buffer)
        offsets.withLock { $0[group, default: [:]].merge(committed) { $1 } }
    }

    /// Appends the group's metadata record (key version 2, value version 3) or its tombstone.
    public func storeGroup(_ group: String, _ value: GroupMetadataValue?) async throws {
        var builder = RecordBatchBuilder()
        builder.append(
            timestamp: clock.milliseconds,
            key: OffsetsTopicRecords.groupKey(group),
            value: value.map(OffsetsTopicRecords.groupValue)
        )
        try await append(GroupPartitioner.partition(for: group, partitions: partitions), builder.build().buffer)
    }

    /// The group records found by the last `load` of `partition`, taken once (the coordinator rebuilds its groups
    /// from them).
    public func takeLoadedGroups(partition: Int32) -> [String: GroupMetadataValue] {
        groupRecords.withLock { records in
            let taken = records.filter { GroupPartitioner.partition(for: $0.key, partitions: partitions) == partition }
            for group in taken.keys { records.removeValue(forKey: group) }
            return taken
        }
    }

    /// Appends a tombstone for every offset the group has committed in `partitions` (all when nil), then forgets them.
    public func delete(group: String, partitions: [TopicPartition]?) async throws {
        let existing = offsets.withLock { $0[group] ?? [:] }.keys.filter { partitions?.contains($0) ?? true }
        guard !existing.isEmpty else { return }
        var builder = RecordBatchBuilder()
        for partition in existing.sorted() {
            builder.append(
                timestamp: clock.milliseconds,
                key: OffsetsTopicRecords.offsetKey(group: group, partition: partition),
                value: nil
            )
        }
        try await append(GroupPartitioner.partition(for: group, partitions: self.partitions), builder.build().buffer)
        offsets.withLock { offsets in
            for partition in existing { offsets[group]?.removeValue(forKey: partition) }
            if offsets[group]?.isEmpty == true { offsets.removeValue(forKey: group) }
        }
    }

    public func fetch(group: String, partitions: [TopicPartition]?) async throws -> [TopicPartition: CommittedOffset] {
        let all = offsets.withLock { $0[group] ?? [:] }
        guard let partitions else { return all }
        return all.filter { partitions.contains($0.key) }
    }

    /// Replays one partition of `__consumer_offsets` (its records in offset order), replacing what was known of
    /// that partition's groups.
    public func load(partition: Int32, records: [Record]) {
        offsets.withLock { offsets in
            forget(partition, in: &offsets)
            var loadedGroups: [String: GroupMetadataValue] = [:]
            for record in records {
                switch record.key.flatMap(OffsetsTopicRecords.decodeKey) {
                case .offset(let group, let topicPartition)?:
                    if let value = record.value, let offset = OffsetsTopicRecords.decodeOffsetValue(value) {
                        offsets[group, default: [:]][topicPartition] = offset
                    } else if record.value == nil {
                        offsets[group]?.removeValue(forKey: topicPartition)
                    }
                case .group(let group)?:
                    loadedGroups[group] = record.value.flatMap(OffsetsTopicRecords.decodeGroupValue)
                case nil:
                    continue
                }
            }
            groupRecords.withLock { $0.merge(loadedGroups) { $1 } }
        }
    }

    /// Forgets the groups of a partition this broker no longer leads.
    public func unload(partition: Int32) {
        offsets.withLock { forget(partition, in: &$0) }
    }

    private func forget(_ partition: Int32, in offsets: inout [String: [TopicPartition: CommittedOffset]]) {
        for group in offsets.keys where GroupPartitioner.partition(for: group, partitions: partitions) == partition {
            offsets.removeValue(forKey: group)
        }
    }

    public func expirableGroups() -> [String] { offsets.withLock { Array($0.keys) } }

    /// The groups with committed offsets in `partition` of `__consumer_offsets`.
    public func groupsWithOffsets(partition: Int32) -> [String] {
        offsets.withLock { offsets in
            offsets.keys.filter { GroupPartitioner.partition(for: $0, partitions: partitions) == partition }
        }
    }
}
