import KafkaClient
import KafkaCore
import KafkaZooKeeper
import Logging

/// Consumer group offsets over a cluster link (Confluent's `consumer.offset.sync.enable`, off by default, every
/// `consumer.offset.sync.ms`, 30 s): for the mirror topics whose partition 0 this broker leads (one broker per
/// topic does it), each source group's committed offsets of those topics are committed here **verbatim** — a
/// mirror's offsets are the source's, so nothing is translated — for the groups that pass
/// `consumer.offset.sync.groups` (comma-separated regexes, default every group) and have no active member here,
/// only forward (a group that moved here and went on is not sent back to where it was on the source). The source's groups are Kafka's (ListGroups, OffsetFetch) and, with
/// `cluster.link.<name>.zookeeper.connect`, those under the source's `/consumers` (which no Kafka tool sees); the
/// latter are committed with OffsetCommit v0, into this cluster's ZooKeeper where such consumers read. Owned by
/// `ClusterLinkManager`'s loop, one per link.
final class ClusterLinkOffsetSync {
    let name: String
    let interval: Duration
    let groupFilters: [Regex<AnyRegexOutput>]
    let zooKeeperConnect: String?
    let logger: Logger
    private var zooKeeper: ZooKeeperGroupOffsets?
    private var next = ContinuousClock.now

    /// Nil when the link does not sync offsets; throws on a bad setting.
    init?(name: String, properties: [String: String], logger: Logger) throws {
        guard properties["consumer.offset.sync.enable"]?.lowercased() == "true" else { return nil }
        self.name = name
        self.interval = .milliseconds(Int64(properties["consumer.offset.sync.ms"] ?? "") ?? 30_000)
        self.groupFilters = try (properties["consumer.offset.sync.groups"] ?? ".*").split(separator: ",")
            .map { try Regex(String($0).trimmingCharacters(in: .whitespaces)) }
        self.zooKeeperConnect = properties["zookeeper.connect"]
        self.logger = logger
    }

    /// Syncs when due: `topics` are the mirror topics whose partition 0 is led here.
    func syncIfDue(topics: Set<String>, source: KafkaAdminClient, local: KafkaAdminClient) async {
        guard !topics.isEmpty, ContinuousClock.now >= next else { return }
        next = .now + interval
        do {
            try await sync(topics: topics, source: source, local: local)
        } catch {
            logger.warning("Cluster link \(name) could not sync group offsets: \(error)")
        }
    }

    private func sync(topics: Set<String>, source: KafkaAdminClient, local: KafkaAdminClient) async throws {
        var groups = Set(
            try await source.listGroups().filter { $0.protocolType == "consumer" || $0.protocolType.isEmpty }
                .map(\.groupID)
        )
        if let zooKeeperConnect, zooKeeper == nil {
            zooKeeper = try await ZooKeeperGroupOffsets(connect: zooKeeperConnect, logger: logger)
        }
        let zooKeeperGroups = Set(try await zooKeeper?.groups() ?? [])
        groups.formUnion(zooKeeperGroups)
        for group in groups.sorted() where groupFilters.contains(where: { (try? $0.wholeMatch(in: group)) != nil }) {
            let kafka = try await source.listGroupOffsets(group).filter { topics.contains($0.key.topic) }
            var inZooKeeper: [TopicPartition: OffsetAndMetadata] = [:]
            if zooKeeperGroups.contains(group) {
                for (partition, offset) in try await zooKeeper?.offsets(group) ?? [:]
                where topics.contains(partition.topic) && kafka[partition] == nil {
                    inZooKeeper[partition] = OffsetAndMetadata(offset: offset)
                }
            }
            guard !kafka.isEmpty || !inZooKeeper.isEmpty else { continue }
            let state = try await local.describeGroup(group).state
            guard state == "Empty" || state == "Dead" else { continue }
            let here = try await local.listGroupOffsets(group)
            let changed = kafka.filter { (here[$0.key]?.offset ?? -1) < $0.value.offset }
            if !changed.isEmpty { report(group, try await local.alterGroupOffsets(group, changed)) }
            if !inZooKeeper.isEmpty {
                let hereInZooKeeper = try await local.listZooKeeperGroupOffsets(group, Array(inZooKeeper.keys))
                let changed = inZooKeeper.filter { (hereInZooKeeper[$0.key]?.offset ?? -1) < $0.value.offset }
                if !changed.isEmpty { report(group, try await local.alterZooKeeperGroupOffsets(group, changed)) }
            }
        }
    }

    private func report(_ group: String, _ outcomes: [TopicPartition: Result<Void, AdminError>]) {
        for (partition, outcome) in outcomes {
            if case .failure(let error) = outcome {
                logger.warning("Cluster link \(name) could not sync group \(group) on \(partition): \(error)")
            }
        }
    }

    func close() async { await zooKeeper?.close() }
}
