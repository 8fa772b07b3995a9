public import KafkaCore
public import KafkaProtocol
public import KafkaZooKeeper
public import NIOCore
import Synchronization

/// An offsets partition refused an append (this broker is no longer its leader, the disk failed, a fenced
/// producer epoch).
public struct OffsetCommitFailure: Error, CustomStringConvertible {
    public var code: KafkaErrorCode

    public init(code: KafkaErrorCode) { self.code = code }

    public var description: String { "the offsets partition refused the commit: \(code)" }
}

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
/// delete). Offsets committed in a transaction (TxnOffsetCommit) are written as one transactional batch and kept
/// pending per producer until the transaction's marker reaches the group's partition (`completeTransaction`): a
/// COMMIT makes them the committed offsets, an ABORT drops them; loading replays markers the same way. Any task may
/// use it.
public final class TopicOffsetStore: OffsetStore {
    public typealias Append = @Sendable (_ partition: Int32, _ records: ByteBuffer) async throws -> Void

    let partitions: Int32
    let append: Append
    let clock: any KafkaClock
    private let offsets = Mutex<[String: [TopicPartition: CommittedOffset]]>([:])
    private let groupRecords = Mutex<[String: GroupMetadataValue]>([:])
    /// Offsets of open transactions: producer id → group → partition → offset.
    private let pending = Mutex<[ProducerID: [String: [TopicPartition: CommittedOffset]]]>([:])

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

    /// Writes offsets committed in `producerID`'s transaction (one transactional batch, base sequence 0, as Kafka's
    /// group coordinator writes it) and keeps them pending until the transaction ends. Throws the partition's
    /// refusal (INVALID_PRODUCER_EPOCH for a fenced producer).
    public func commitTransactional(
        group: String,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        offsets committed: [TopicPartition: CommittedOffset]
    ) async throws {
        var builder = RecordBatchBuilder()
        builder.producerID = producerID
        builder.producerEpoch = producerEpoch
        builder.baseSequence = 0
        builder.isTransactional = true
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
        pending.withLock { $0[producerID, default: [:]][group, default: [:]].merge(committed) { $1 } }
    }

    /// A marker for `producerID`'s transaction was written to `partition` of `__consumer_offsets`: its pending offsets
    /// for the groups there become committed (`commit`) or are dropped.
    public func completeTransaction(producerID: ProducerID, commit: Bool, partition: Int32) {
        let ended = pending.withLock { pending -> [String: [TopicPartition: CommittedOffset]] in
            guard let groups = pending[producerID] else { return [:] }
            let ended = groups.filter { GroupPartitioner.partition(for: $0.key, partitions: partitions) == partition }
            let kept = groups.filter { !ended.keys.contains($0.key) }
            pending[producerID] = kept.isEmpty ? nil : kept
            return ended
        }
        guard commit, !ended.isEmpty else { return }
        offsets.withLock { offsets in
            for (group, committed) in ended { offsets[group, default: [:]].merge(committed) { $1 } }
        }
    }

    /// Whether an open transaction has offsets for `group` and `partition` (OffsetFetch's UNSTABLE_OFFSET_COMMIT).
    public func hasPendingOffset(group: String, partition: TopicPartition) -> Bool {
        pending.withLock { pending in pending.values.contains { $0[group]?[partition] != nil } }
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

    /// Replays one partition of `__consumer_offsets` (its records in offset order, none transactional), replacing
    /// what was known of that partition's groups.
    public func load(partition: Int32, records: [Record]) {
        load(partition: partition, batches: [OffsetsTopicBatch(records: records)])
    }

    /// Replays one partition of `__consumer_offsets` batch by batch: plain records count at once, a transactional
    /// batch's offsets wait for its producer's marker (COMMIT applies them, ABORT drops them; without one they stay
    /// pending). Replaces what was known of that partition's groups.
    public func load(partition: Int32, batches: [OffsetsTopicBatch]) {
        var loadedGroups: [String: GroupMetadataValue] = [:]
        var open: [ProducerID: [String: [TopicPartition: CommittedOffset]]] = [:]
        offsets.withLock { offsets in
            forget(partition, in: &offsets)
            for batch in batches {
                if let marker = batch.marker {
                    if marker.isCommit, let committed = open[batch.producerID] {
                        for (group, groupOffsets) in committed {
                            offsets[group, default: [:]].merge(groupOffsets) { $1 }
                        }
                    }
                    open.removeValue(forKey: batch.producerID)
                    continue
                }
                for record in batch.records {
                    switch record.key.flatMap(OffsetsTopicRecords.decodeKey) {
                    case .offset(let group, let topicPartition)?:
                        let value = record.value.flatMap(OffsetsTopicRecords.decodeOffsetValue)
                        if batch.isTransactional {
                            if let value {
                                open[batch.producerID, default: [:]][group, default: [:]][topicPartition] = value
                            }
                        } else if let value {
                            offsets[group, default: [:]][topicPartition] = value
                        } else if record.value == nil {
                            offsets[group]?.removeValue(forKey: topicPartition)
                        }
                    case .group(let group)?:
                        loadedGroups[group] = record.value.flatMap(OffsetsTopicRecords.decodeGroupValue)
                    case nil:
                        continue
                    }
                }
            }
        }
        groupRecords.withLock { $0.merge(loadedGroups) { $1 } }
        pending.withLock { pending in
            forgetPending(partition, in: &pending)
            for (producerID, groups) in open { pending[producerID, default: [:]].merge(groups) { $1 } }
        }
    }

    /// Forgets the groups of a partition this broker no longer leads.
    public func unload(partition: Int32) {
        offsets.withLock { forget(partition, in: &$0) }
        pending.withLock { forgetPending(partition, in: &$0) }
    }

    private func forgetPending(
        _ partition: Int32,
        in pending: inout [ProducerID: [String: [TopicPartition: CommittedOffset]]]
    ) {
        for (producerID, groups) in pending {
            let kept = groups.filter { GroupPartitioner.partition(for: $0.key, partitions: partitions) != partition }
            pending[producerID] = kept.isEmpty ? nil : kept
        }
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

/// One batch of `__consumer_offsets` as loading reads it: its producer, whether it is transactional, the marker a
/// control batch holds, and its records (none for a marker).
public struct OffsetsTopicBatch: Sendable {
    public var producerID: ProducerID
    public var isTransactional: Bool
    public var marker: EndTransactionMarker?
    public var records: [Record]

    public init(
        producerID: ProducerID = -1,
        isTransactional: Bool = false,
        marker: EndTransactionMarker? = nil,
        records: [Record]
    ) {
        self.producerID = producerID
        self.isTransactional = isTransactional
        self.marker = marker
        self.records = records
    }
}
