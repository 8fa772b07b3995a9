import KafkaClient
public import KafkaConnect
import KafkaCore
import KafkaMirror
import Logging
import Synchronization

/// `org.apache.kafka.connect.mirror.MirrorSourceConnector` (KIP-382): plans the copy of the source cluster's
/// topics to the target. In the background, every `refresh.topics.interval.seconds`, it lists the source topics
/// that pass the filter (heartbeats always; never internal topics or topics that came from the target: the
/// policy's cycle check), creates each missing remote topic on the target with the source's partition count,
/// `replication.factor` and synced configs, adds partitions a remote topic lacks, and when the set of source
/// partitions changed asks the worker to plan the tasks again. Every `sync.topic.configs.interval.seconds` the
/// source topics' non-default, non-sensitive configs (less `config.properties.exclude`'s) are set on the remote
/// topics (IncrementalAlterConfigs, as Kafka 3.5 does). At start it creates `mm2-offset-syncs.<target>.internal`
/// on the source (one compacted partition). Tasks: the known partitions dealt round-robin to at most `tasks.max`
/// tasks (`task.assigned.partitions`). The worker calls it from one task at a time; the background loop shares
/// only its `MirrorPlan`.
public final class MirrorSourceConnector: SourceConnector {
    public static let className = "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    public static let version = ConnectVersion.kafka
    public static let taskType: any SourceTask.Type = MirrorSourceTask.self
    public static var configKeys: [ConfigKey] { MirrorConnectorConfig.configKeys }

    /// Kafka 2.8's `config.properties.exclude` default: configs a mirror must not copy.
    static let excludedConfigs: Set<String> = [
        "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
        "message.timestamp.difference.max.ms", "message.timestamp.type", "unclean.leader.election.enable",
        "min.insync.replicas",
    ]

    private var context: (any ConnectorContext)?
    private let plan = MirrorPlan<TopicPartition>()
    private var loop: Task<Void, Never>?

    public init() {}

    public func initialize(context: any ConnectorContext) { self.context = context }

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        let settings = try MirrorConnectorConfig(config)
        guard settings.enabled else { return }
        let plan = self.plan
        let context = self.context
        loop = Task {
            await MirrorTopicSync(settings: settings, properties: config, plan: plan, context: context).run()
        }
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        let partitions = plan.items
        let count = min(maxTasks, partitions.count)
        guard count > 0 else { return [] }
        var tasks = Array(repeating: [String](), count: count)
        for (index, partition) in partitions.enumerated() {
            tasks[index % count].append("\(partition.topic)-\(partition.partition)")
        }
        return tasks.map { ["task.assigned.partitions": $0.joined(separator: ",")] }
    }

    public func stop() {
        loop?.cancel()
        loop = nil
    }
}

/// What a connector's tasks should cover (source partitions, groups), as its background loop last found it: read
/// by `taskConfigs`, replaced by the loop.
final class MirrorPlan<Item: Equatable & Sendable>: Sendable {
    private let known = Mutex<[Item]>([])

    var items: [Item] { known.withLock { $0 } }

    /// Replaces the plan; whether it changed.
    func update(_ items: [Item]) -> Bool {
        known.withLock { known in
            defer { known = items }
            return known != items
        }
    }
}

/// The connector's background work: topic discovery, remote topic creation and config sync, until cancelled.
struct MirrorTopicSync: Sendable {
    let settings: MirrorConnectorConfig
    let properties: [String: String]
    let plan: MirrorPlan<TopicPartition>
    let context: (any ConnectorContext)?
    var logger: Logger { MirrorAdmin.logger(settings) }

    func run() async {
        let source: KafkaAdminClient
        let target: KafkaAdminClient
        do {
            source = try KafkaAdminClient(properties: settings.sourceClient("admin", properties), logger: logger)
            target = try KafkaAdminClient(properties: settings.targetClient("admin", properties), logger: logger)
        } catch {
            logger.error("MirrorSourceConnector cannot make its admin clients: \(error)")
            return
        }
        defer {
            source.cluster.close()
            target.cluster.close()
        }
        var createdSyncsTopic = false
        var nextConfigSync = ContinuousClock.now
        var nextAclSync: ContinuousClock.Instant? = settings.syncTopicAclsInterval.map { _ in .now }
        let acls = MirrorAclSync(settings: settings, logger: logger, shouldReplicate: shouldReplicate)
        while !Task.isCancelled {
            do {
                if !createdSyncsTopic {
                    try await MirrorAdmin.createIfMissing(
                        source,
                        NewTopic(
                            name: settings.policy.offsetSyncsTopic(targetAlias: settings.targetAlias),
                            numPartitions: 1,
                            replicationFactor: settings.offsetSyncsReplicationFactor,
                            configs: ["cleanup.policy": "compact"]
                        ),
                        logger: logger
                    )
                    createdSyncsTopic = true
                }
                let topics = try await refresh(source, target)
                if let interval = settings.syncTopicConfigsInterval, ContinuousClock.now >= nextConfigSync {
                    try await syncConfigs(topics, source, target)
                    nextConfigSync = .now + interval
                }
                if let due = nextAclSync, let interval = settings.syncTopicAclsInterval, ContinuousClock.now >= due {
                    nextAclSync = try await acls.sync(source, target) ? .now + interval : nil
                }
            } catch {
                logger.warning("MirrorSourceConnector could not refresh the topics, retrying: \(error)")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let interval = settings.refreshTopicsInterval else { break }
            try? await Task.sleep(for: interval)
        }
    }

    func shouldReplicate(_ topic: String) -> Bool {
        (settings.topics.matches(topic) || settings.policy.isHeartbeatsTopic(topic))
            && !settings.policy.isInternalTopic(topic)
            && !settings.policy.isCycle(topic, targetAlias: settings.targetAlias)
    }

    /// Finds the source topics, makes their remote topics whole, and updates the plan; the topics mirrored.
    private func refresh(_ source: KafkaAdminClient, _ target: KafkaAdminClient) async throws -> [TopicDescription] {
        let topics = try await source.describeTopics(nil).filter {
            !$0.isInternal && $0.error == .none && shouldReplicate($0.name)
        }
        let remote = Dictionary(
            try await target.describeTopics(nil).map { ($0.name, $0.partitions.count) },
            uniquingKeysWith: { first, _ in first }
        )
        var missing: [NewTopic] = []
        var grow: [String: Int32] = [:]
        for topic in topics {
            let name = settings.policy.formatRemoteTopic(sourceAlias: settings.sourceAlias, topic: topic.name)
            if let count = remote[name] {
                if count < topic.partitions.count { grow[name] = Int32(topic.partitions.count) }
            } else {
                missing.append(
                    NewTopic(
                        name: name,
                        numPartitions: Int32(topic.partitions.count),
                        replicationFactor: settings.replicationFactor,
                        configs: try await copiedConfigs([topic.name], source)[topic.name] ?? [:]
                    )
                )
            }
        }
        for (name, outcome) in missing.isEmpty ? [:] : try await target.createTopics(missing) {
            switch outcome {
            case .success: logger.info("Created remote topic \(name)")
            case .failure(let error) where error.code == .topicAlreadyExists: break
            case .failure(let error): logger.warning("Could not create remote topic \(name): \(error)")
            }
        }
        for (name, outcome) in grow.isEmpty ? [:] : try await target.createPartitions(grow) {
            if case .failure(let error) = outcome {
                logger.warning("Could not add partitions to remote topic \(name): \(error)")
            } else {
                logger.info("Grew remote topic \(name) to \(grow[name] ?? 0) partitions")
            }
        }
        let partitions = topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0.partition) } }
            .sorted()
        if plan.update(partitions) {
            logger.info("Source partitions to mirror: \(partitions.count) in \(topics.count) topic(s)")
            context?.requestTaskReconfiguration()
        }
        return topics
    }

    /// The configs of `topics` a mirror copies: set on the topic (not defaults or broker-wide), not read-only or
    /// sensitive, not excluded.
    private func copiedConfigs(
        _ topics: [String],
        _ source: KafkaAdminClient
    ) async throws -> [String: [String: String]] {
        let described = try await source.describeConfigs(topics.map { ConfigResource(.topic, $0) })
        var out: [String: [String: String]] = [:]
        for (resource, result) in described {
            guard case .success(let entries) = result else { continue }
            var configs: [String: String] = [:]
            for entry in entries
            where !entry.isDefault && !entry.isReadOnly && !entry.isSensitive && entry.source == .dynamicTopicConfig
                && !MirrorSourceConnector.excludedConfigs.contains(entry.name)
            {
                if let value = entry.value { configs[entry.name] = value }
            }
            out[resource.name] = configs
        }
        return out
    }

    private func syncConfigs(
        _ topics: [TopicDescription],
        _ source: KafkaAdminClient,
        _ target: KafkaAdminClient
    ) async throws {
        guard !topics.isEmpty else { return }
        let configs = try await copiedConfigs(topics.map(\.name), source)
        var operations: [ConfigResource: [AlterConfigOp]] = [:]
        for (topic, values) in configs where !values.isEmpty {
            let name = settings.policy.formatRemoteTopic(sourceAlias: settings.sourceAlias, topic: topic)
            operations[ConfigResource(.topic, name)] = values.sorted { $0.key < $1.key }.map { .set($0.key, $0.value) }
        }
        guard !operations.isEmpty else { return }
        for (resource, outcome) in try await target.incrementalAlterConfigs(operations) {
            if case .failure(let error) = outcome {
                logger.warning("Could not sync the configs of \(resource.name): \(error)")
            }
        }
    }
}
