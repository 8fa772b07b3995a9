import KafkaClient
public import KafkaConnect
import KafkaCore
import KafkaMirror
import KafkaZooKeeper
import Logging

/// `org.apache.kafka.connect.mirror.MirrorCheckpointConnector`: plans the translation of the source cluster's
/// consumer groups. At start it creates `<source>.checkpoints.internal` on the target (one compacted partition);
/// in the background, every `refresh.groups.interval.seconds`, it lists the source's consumer groups (protocol
/// type `consumer` or none: not Connect's worker groups) that pass `groups`/`groups.exclude`, and when that set
/// changed asks the worker to plan the tasks again (with `source.cluster.zookeeper.connect`, the groups with offsets
/// under the source's `/consumers` as well): the groups dealt round-robin to at most `tasks.max` tasks
/// (`task.assigned.groups`). The worker calls it from one task at a time; the loop shares only its `MirrorPlan`.
public final class MirrorCheckpointConnector: SourceConnector {
    public static let className = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"
    public static let version = ConnectVersion.kafka
    public static let taskType: any SourceTask.Type = MirrorCheckpointTask.self
    public static var configKeys: [ConfigKey] { MirrorConnectorConfig.configKeys }

    private var context: (any ConnectorContext)?
    private let plan = MirrorPlan<String>()
    private var loop: Task<Void, Never>?

    public init() {}

    public func initialize(context: any ConnectorContext) { self.context = context }

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        let settings = try MirrorConnectorConfig(config)
        guard settings.enabled, settings.emitCheckpointsInterval != nil else { return }
        let plan = self.plan
        let context = self.context
        loop = Task {
            await MirrorGroupRefresh(settings: settings, properties: config, plan: plan, context: context).run()
        }
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        let groups = plan.items
        let count = min(maxTasks, groups.count)
        guard count > 0 else { return [] }
        var tasks = Array(repeating: [String](), count: count)
        for (index, group) in groups.enumerated() { tasks[index % count].append(group) }
        return tasks.map { ["task.assigned.groups": $0.joined(separator: ",")] }
    }

    public func stop() {
        loop?.cancel()
        loop = nil
    }
}

/// The connector's background work: its checkpoints topic, then the source's groups every refresh interval.
struct MirrorGroupRefresh: Sendable {
    let settings: MirrorConnectorConfig
    let properties: [String: String]
    let plan: MirrorPlan<String>
    let context: (any ConnectorContext)?

    func run() async {
        await MirrorAdmin.createUntilDone(
            NewTopic(
                name: settings.policy.checkpointsTopic(sourceAlias: settings.sourceAlias),
                numPartitions: 1,
                replicationFactor: settings.checkpointsReplicationFactor,
                configs: ["cleanup.policy": "compact"]
            ),
            properties: settings.targetClient("admin", properties),
            settings: settings
        )
        let logger = MirrorAdmin.logger(settings)
        guard let admin = try? KafkaAdminClient(properties: settings.sourceClient("admin", properties), logger: logger)
        else { return }
        defer { admin.cluster.close() }
        var zooKeeper: ZooKeeperGroupOffsets?
        while !Task.isCancelled {
            do {
                var groups = Set(
                    try await admin.listGroups()
                        .filter { $0.protocolType == "consumer" || $0.protocolType.isEmpty }
                        .map(\.groupID)
                )
                if let connect = settings.sourceZooKeeperConnect {
                    if zooKeeper == nil {
                        zooKeeper = try await ZooKeeperGroupOffsets(connect: connect, logger: logger)
                    }
                    groups.formUnion(try await zooKeeper?.groups() ?? [])
                }
                let matching = groups.filter { settings.groups.matches($0) }.sorted()
                if plan.update(matching) {
                    logger.info("Consumer groups to checkpoint: \(matching.count)")
                    context?.requestTaskReconfiguration()
                }
            } catch {
                logger.warning("MirrorCheckpointConnector could not list the source's groups, retrying: \(error)")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let interval = settings.refreshGroupsInterval else { break }
            try? await Task.sleep(for: interval)
        }
        await zooKeeper?.close()
    }
}
