import KafkaClient
public import KafkaConnect
import KafkaCore
import KafkaMirror
import KafkaZooKeeper
import Logging

/// The task of `MirrorCheckpointConnector` (Java's `MirrorCheckpointTask`), for its `task.assigned.groups`. Every
/// `emit.checkpoints.interval.seconds` it reads the new offset syncs (`OffsetSyncReader`), fetches each group's
/// committed offsets on the source, keeps the topics the topic filter passes, translates each offset by Kafka
/// 3.5's rule (`OffsetSyncStore`: at most one record past the last sync, never beyond what the group read) and
/// returns one `Checkpoint` per partition for `<source>.checkpoints.internal` (the topic renamed for the target;
/// a topic that came from the target gets its original name back). With `sync.group.offsets.enabled`, every
/// `sync.group.offsets.interval.seconds` the translated offsets are also committed on the target for each group
/// that is empty or absent there, where they are ahead of what the target has (KIP-545). Beyond Kafka: with
/// `source.cluster.zookeeper.connect`, offsets a group keeps in the source's ZooKeeper (`ZooKeeperGroupOffsets`)
/// are translated too where it has none in Kafka, and synced to the target with OffsetCommit v0, which puts them
/// in the target's ZooKeeper where such a group's consumers read. Run by one worker task at a time.
public final class MirrorCheckpointTask: SourceTask {
    public static var wantsRecordCommits: Bool { true }

    private var settings: MirrorConnectorConfig?
    private var groups: [String] = []
    private var source: KafkaAdminClient?
    private var target: KafkaAdminClient?
    private var syncs: OffsetSyncReader?
    private var zooKeeper: ZooKeeperGroupOffsets?
    private var nextCheckpoint = ContinuousClock.now
    private var nextGroupSync = ContinuousClock.now
    /// The latest translated offsets of each group, by target partition.
    private var translated: [String: [TopicPartition: OffsetAndMetadata]] = [:]
    /// The target partitions of each group whose offsets came from the source's ZooKeeper.
    private var fromZooKeeper: [String: Set<TopicPartition>] = [:]
    private var logger = Logger(label: "swiftkafka.mirror")

    public init() {}

    public func start(_ config: [String: String], context: any SourceTaskContext) async throws {
        let settings = try MirrorConnectorConfig(config)
        self.settings = settings
        logger = MirrorAdmin.logger(settings)
        groups = (config["task.assigned.groups"] ?? "").split(separator: ",").map(String.init)
        source = try KafkaAdminClient(properties: settings.sourceClient("admin", config), logger: logger)
        target = try KafkaAdminClient(properties: settings.targetClient("admin", config), logger: logger)
        syncs = try OffsetSyncReader(
            topic: settings.policy.offsetSyncsTopic(targetAlias: settings.targetAlias),
            properties: settings.sourceClient("consumer", config),
            logger: logger
        )
        if let connect = settings.sourceZooKeeperConnect {
            zooKeeper = try await ZooKeeperGroupOffsets(connect: connect, logger: logger)
        }
        logger.info("Checkpointing \(groups.count) consumer group(s)")
    }

    public func poll() async throws -> [SourceRecord] {
        guard let settings, let interval = settings.emitCheckpointsInterval, let source, let syncs else { return [] }
        guard try await MirrorAdmin.isDue(&nextCheckpoint, every: interval) else { return [] }
        let store = try await syncs.catchUp()
        var records: [SourceRecord] = []
        let checkpointsTopic = settings.policy.checkpointsTopic(sourceAlias: settings.sourceAlias)
        for group in groups {
            var offsets: [TopicPartition: OffsetAndMetadata]
            var zooKeeperPartitions: Set<TopicPartition> = []
            do {
                offsets = try await source.listGroupOffsets(group)
                for (partition, offset) in try await zooKeeper?.offsets(group) ?? [:] where offsets[partition] == nil {
                    offsets[partition] = OffsetAndMetadata(offset: offset)
                    zooKeeperPartitions.insert(partition)
                }
            } catch {
                logger.warning("Could not read the offsets of group \(group): \(error)")
                continue
            }
            var groupTranslated: [TopicPartition: OffsetAndMetadata] = [:]
            fromZooKeeper[group] = []
            for (partition, committed) in offsets.sorted(by: { $0.key < $1.key })
            where settings.topics.matches(partition.topic) {
                guard let downstream = store.translate(partition, upstreamOffset: committed.offset), downstream >= 0
                else { continue }
                let renamed = TopicPartition(rename(partition.topic, settings), partition.partition)
                let checkpoint = Checkpoint(
                    group: group,
                    topic: renamed.topic,
                    partition: renamed.partition,
                    upstreamOffset: committed.offset,
                    downstreamOffset: downstream,
                    metadata: committed.metadata
                )
                groupTranslated[renamed] = OffsetAndMetadata(offset: downstream, metadata: committed.metadata)
                if zooKeeperPartitions.contains(partition) { fromZooKeeper[group, default: []].insert(renamed) }
                records.append(
                    SourceRecord(
                        sourcePartition: .stringMap([
                            "group": .string(group), "partition": .int32(renamed.partition),
                            "topic": .string(renamed.topic),
                        ]),
                        sourceOffset: .stringMap(["offset": .int64(0)]),
                        topic: checkpointsTopic,
                        kafkaPartition: 0,
                        keySchema: .bytes,
                        key: .bytes(checkpoint.key),
                        valueSchema: .bytes,
                        value: .bytes(checkpoint.value),
                        timestamp: MirrorAdmin.nowMilliseconds()
                    )
                )
            }
            translated[group] = groupTranslated
        }
        if let groupInterval = settings.syncGroupOffsetsInterval, ContinuousClock.now >= nextGroupSync {
            nextGroupSync = .now + groupInterval
            await syncGroupOffsets()
        }
        return records
    }

    /// A source topic's name on the target; one that came from the target goes back to its original name.
    private func rename(_ topic: String, _ settings: MirrorConnectorConfig) -> String {
        if settings.policy.topicSource(topic) == settings.targetAlias { return settings.policy.originalTopic(topic) }
        return settings.policy.formatRemoteTopic(sourceAlias: settings.sourceAlias, topic: topic)
    }

    /// Commits translated offsets on the target for groups with no active member there, only forward: those that
    /// came from the source's ZooKeeper with OffsetCommit v0 (to the target's ZooKeeper), the others as Kafka does.
    private func syncGroupOffsets() async {
        guard let target else { return }
        for (group, offsets) in translated.sorted(by: { $0.key < $1.key }) where !offsets.isEmpty {
            do {
                let state = try await target.describeGroup(group).state
                guard state == "Empty" || state == "Dead" else { continue }
                let zooKeeperPartitions = fromZooKeeper[group] ?? []
                let inKafka = try await target.listGroupOffsets(group)
                let inZooKeeper = try await target.listZooKeeperGroupOffsets(group, Array(zooKeeperPartitions))
                let ahead = offsets.filter { partition, offset in
                    let existing = zooKeeperPartitions.contains(partition) ? inZooKeeper[partition] : inKafka[partition]
                    return existing.map { $0.offset < offset.offset } ?? true
                }
                let aheadInZooKeeper = ahead.filter { zooKeeperPartitions.contains($0.key) }
                let aheadInKafka = ahead.filter { !zooKeeperPartitions.contains($0.key) }
                var outcomes: [TopicPartition: Result<Void, AdminError>] = [:]
                if !aheadInKafka.isEmpty { outcomes = try await target.alterGroupOffsets(group, aheadInKafka) }
                if !aheadInZooKeeper.isEmpty {
                    outcomes.merge(try await target.alterZooKeeperGroupOffsets(group, aheadInZooKeeper)) { a, _ in a }
                }
                for (partition, outcome) in outcomes {
                    if case .failure(let error) = outcome {
                        logger.warning("Could not sync the offset of group \(group) on \(partition): \(error)")
                    }
                }
            } catch {
                logger.warning("Could not sync the offsets of group \(group) to the target: \(error)")
            }
        }
    }

    /// A checkpoint was written: its latency, from its creation to the target's acknowledgement.
    public func commitRecord(_ record: SourceRecord, topic: String, partition: Int32, offset: Int64) async {
        guard let settings, let timestamp = record.timestamp, case .map(let entries)? = record.sourcePartition
        else { return }
        var group: String?
        var checkpointed: String?
        var index: Int32?
        for entry in entries {
            switch (entry.key, entry.value) {
            case (.string("group"), .string(let value)): group = value
            case (.string("topic"), .string(let value)): checkpointed = value
            case (.string("partition"), .int32(let value)): index = value
            default: break
            }
        }
        guard let group, let checkpointed, let index else { return }
        let latency = Double(MirrorAdmin.nowMilliseconds() - timestamp)
        MirrorMetrics.shared.checkpoint(
            .init(
                source: settings.sourceAlias,
                target: settings.targetAlias,
                group: group,
                partition: TopicPartition(checkpointed, index)
            )
        ).update { $0.record(latency) }
    }

    public func stop() async {
        await syncs?.close()
        syncs = nil
        await zooKeeper?.close()
        zooKeeper = nil
        source?.cluster.close()
        target?.cluster.close()
    }
}

/// Follows `mm2-offset-syncs.<target>.internal` on the source into an `OffsetSyncStore`; the store says nothing
/// until the topic was read to the end it had when reading began (`readToEnd`). Records that do not decode are
/// skipped. Owned by one checkpoint task.
final class OffsetSyncReader {
    private let consumer: KafkaConsumer
    private let partition: TopicPartition
    private var store = OffsetSyncStore()
    private var assigned = false

    init(topic: String, properties: [String: String], logger: Logger) throws {
        var properties = properties
        properties["enable.auto.commit"] = "false"
        properties["auto.offset.reset"] = "earliest"
        consumer = try KafkaConsumer(properties: properties, logger: logger)
        partition = TopicPartition(topic, 0)
    }

    /// Reads every sync written before this call; the store then.
    func catchUp() async throws -> OffsetSyncStore {
        if !assigned {
            try await consumer.assign([partition])
            try await consumer.seekToBeginning([partition])
            assigned = true
        }
        let reachedEnd = try await MirrorTopicReader.readToEnd(consumer, partition, timeout: .seconds(10)) {
            key,
            value in
            if let sync = try? OffsetSync(key: key, value: value) { store.add(sync) }
        }
        if reachedEnd { store.readToEnd = true }
        return store
    }

    func close() async { await consumer.close() }
}
