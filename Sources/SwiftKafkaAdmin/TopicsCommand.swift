import ArgumentParser
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin topics`: `kafka-topics --bootstrap-server` — `--create`, `--list`, `--describe` (with
/// `--under-replicated-partitions`, `--unavailable-partitions`, `--under-min-isr-partitions`,
/// `--at-min-isr-partitions`, `--topics-with-overrides`), `--alter --partitions`, `--delete`. Output as Kafka 2.8 prints it: `Created topic t.`; names one per line; and per topic
/// `Topic: t<TAB>TopicId: id<TAB>PartitionCount: n<TAB>ReplicationFactor: r<TAB>Configs: k=v,...` followed by
/// `<TAB>Topic: t<TAB>Partition: p<TAB>Leader: l<TAB>Replicas: a,b<TAB>Isr: a,b` lines. Errors:
/// `Error while executing topic command : …`, exit 1. `--topic` is a regular expression except with `--create`.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, list, describe, alter and delete topics (kafka-topics)."
    )

    enum Action: String, EnumerableFlag {
        case create, list, describe, alter, delete
    }

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "What to do.") var action: Action
    @Option(help: "The topic (a regular expression, except with --create).") var topic: String?
    @Option(help: "Partitions of a new topic, or the new total with --alter.") var partitions: Int32?
    @Option(help: "Replicas of each partition of a new topic.") var replicationFactor: Int16?
    @Option(help: "Partition:replicas for --create, e.g. 1:2,2:3 (replaces --partitions and --replication-factor).")
    var replicaAssignment: String?
    @Option(help: "A topic config override for --create, key=value (repeatable).") var config: [String] = []
    @Flag(help: "With --create: no error if the topic exists.") var ifNotExists = false
    @Flag(help: "With --alter or --delete: no error if the topic does not exist.") var ifExists = false
    @Flag(help: "With --list or --describe: leave out internal topics.") var excludeInternal = false
    @Flag(help: "With --describe: only partitions whose ISR is smaller than their replicas.")
    var underReplicatedPartitions = false
    @Flag(help: "With --describe: only partitions whose leader is not available.") var unavailablePartitions = false
    @Flag(help: "With --describe: only partitions whose ISR is smaller than min.insync.replicas (or leaderless).")
    var underMinIsrPartitions = false
    @Flag(help: "With --describe: only partitions whose ISR is exactly min.insync.replicas.")
    var atMinIsrPartitions = false
    @Flag(help: "With --describe: only topics with config overrides.") var topicsWithOverrides = false

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error while executing topic command : ") { client in
            switch action {
            case .create: try await create(client)
            case .list: try await list(client)
            case .describe: try await describe(client)
            case .alter: try await alter(client)
            case .delete: try await delete(client)
            }
        }
    }

    private func requireTopic() throws -> String {
        guard let topic else { throw ValidationError("--\(action.rawValue) needs --topic") }
        return topic
    }

    /// The topics `--topic` names (a whole-name regular expression; every topic when absent).
    private func matching(_ metadata: MetadataResponse) throws -> [MetadataResponse.MetadataResponseTopic] {
        let pattern = try topic.map { try Regex($0) }
        return
            metadata.topics
            .filter { $0.errorCode == .none && !(excludeInternal && $0.isInternal) }
            .filter { topic in
                guard let pattern, let name = topic.name else { return true }
                return name == self.topic || (try? pattern.wholeMatch(in: name)) != nil
            }
            .sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    private func create(_ client: AdminClient) async throws {
        let name = try requireTopic()
        var topic = NewTopic(name: name, numPartitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1)
        if let replicaAssignment {
            topic.replicaAssignment = try replicaAssignment.split(separator: ",").map { replicas in
                let ids = replicas.split(separator: ":").compactMap { Int32($0) }
                guard !ids.isEmpty else { throw ValidationError("--replica-assignment: '\(replicas)' names no broker") }
                return ids
            }
        }
        topic.configs = Dictionary(try parseAssignments(config, option: "--config")) { $1 }
        guard let result = try await client.admin.createTopics([topic])[name] else {
            throw Failure("no answer for topic \(name)")
        }
        if case .failure(let error) = result, error.code == .topicAlreadyExists, ifNotExists { return }
        try result.orFail()
        print("Created topic \(name).")
    }

    private func list(_ client: AdminClient) async throws {
        for topic in try matching(try await client.metadata()) { print(topic.name ?? "") }
    }

    private func describe(_ client: AdminClient) async throws {
        let metadata = try await client.metadata()
        let topics = try matching(metadata)
        if topic != nil && topics.isEmpty && !ifExists {
            throw Failure("Topic '\(topic ?? "")' does not exist as expected")
        }
        let live = Set(metadata.brokers.map(\.nodeID))
        let reportsPartitionsOnly =
            underReplicatedPartitions || unavailablePartitions || underMinIsrPartitions || atMinIsrPartitions
        let configs = try await topicConfigs(client, topics.compactMap(\.name))
        for topic in topics {
            let name = topic.name ?? ""
            let partitions = topic.partitions.sorted { $0.partitionIndex < $1.partitionIndex }
            let all = configs[name] ?? []
            let overrides = all.filter { !$0.isDefault }
            let minIsr = all.first { $0.name == "min.insync.replicas" }.flatMap { $0.value.flatMap(Int.init) }
            if topicsWithOverrides {
                // Kafka: topics with at least one dynamic topic config, header line only.
                guard overrides.contains(where: { $0.source == .dynamicTopicConfig }) else { continue }
            }
            if !reportsPartitionsOnly {
                let factor = partitions.first?.replicaNodes.count ?? 0
                let configText = overrides.map { "\($0.name)=\($0.value ?? "null")" }.joined(separator: ",")
                // Kafka 2.8 prints the topic id (KIP-516) when the cluster has one.
                let id = topic.topicID == .zero ? "" : "\tTopicId: \(topic.topicID)"
                print(
                    "Topic: \(name)\(id)\tPartitionCount: \(partitions.count)\tReplicationFactor: \(factor)"
                        + "\tConfigs: \(configText)"
                )
            }
            if topicsWithOverrides { continue }
            for partition in partitions {
                let leaderAvailable = partition.leaderID >= 0 && live.contains(partition.leaderID)
                if underReplicatedPartitions && partition.isrNodes.count >= partition.replicaNodes.count { continue }
                if unavailablePartitions && leaderAvailable { continue }
                // Kafka: leaderless counts as under the minimum; without a known minimum, neither applies.
                let isr = partition.isrNodes.count
                if underMinIsrPartitions && partition.leaderID >= 0 && !(minIsr.map { isr < $0 } ?? false) { continue }
                if atMinIsrPartitions && minIsr != isr { continue }
                var line =
                    "\tTopic: \(name)\tPartition: \(partition.partitionIndex)"
                    + "\tLeader: \(partition.leaderID >= 0 ? "\(partition.leaderID)" : "none")"
                    + "\tReplicas: \(partition.replicaNodes.map(String.init).joined(separator: ","))"
                    + "\tIsr: \(partition.isrNodes.map(String.init).joined(separator: ","))"
                if !partition.offlineReplicas.isEmpty {
                    line += "\tOffline: \(partition.offlineReplicas.map(String.init).joined(separator: ","))"
                }
                print(line)
            }
        }
    }

    /// Each topic's configs in key order, marked as Kafka's defaults or not (kafka-topics --describe shows the
    /// others).
    private func topicConfigs(_ client: AdminClient, _ names: [String]) async throws -> [String: [ConfigEntry]] {
        guard !names.isEmpty else { return [:] }
        let described = try await client.admin.describeConfigs(names.map { ConfigResource(.topic, $0) })
        var result: [String: [ConfigEntry]] = [:]
        for (resource, entries) in described {
            if case .success(let entries) = entries { result[resource.name] = entries }
        }
        return result
    }

    private func alter(_ client: AdminClient) async throws {
        _ = try requireTopic()
        guard let partitions else { throw ValidationError("--alter needs --partitions (configs: use configs --alter)") }
        let topics = try matching(try await client.metadata())
        if topics.isEmpty {
            if ifExists { return }
            throw Failure("Topic '\(topic ?? "")' does not exist as expected")
        }
        let results = try await client.admin.createPartitions(
            Dictionary(topics.map { ($0.name ?? "", partitions) }) { first, _ in first }
        )
        for result in results.values { try result.orFail() }
    }

    private func delete(_ client: AdminClient) async throws {
        _ = try requireTopic()
        let topics = try matching(try await client.metadata())
        if topics.isEmpty {
            if ifExists { return }
            throw Failure("Topic '\(topic ?? "")' does not exist as expected")
        }
        for result in try await client.admin.deleteTopics(topics.compactMap(\.name)).values { try result.orFail() }
    }
}
