import KafkaClient
import KafkaCore

/// `/topics?q=`: every topic whose name contains `q` (all without it), with its partitions, replication, size on
/// disk (the leaders' replicas, from DescribeLogDirs), message count (log end minus log start, summed) and
/// under-replicated partitions.
struct TopicsPage: Encodable, Sendable {
    struct Topic: Encodable, Sendable {
        var name: String
        var isInternal: Bool
        var partitions: Int
        var replicationFactor: Int
        var underReplicated: Int
        var offline: Int
        var messages: Int64
        var sizeBytes: Int64
        var size: String
    }

    var query: String
    var total: Int
    var topics: [Topic]
}

/// `/topics/<name>`: its partitions (leader, replicas, ISR, log start and end, the LSO as read_committed consumers
/// see it is not shown: ListOffsets here reads the high watermark) and its configs, with the forms that change
/// them.
struct TopicPage: Encodable, Sendable {
    struct Partition: Encodable, Sendable {
        var partition: Int32
        var leader: Int32
        var leaderEpoch: Int32
        var replicas: String
        var isr: String
        var underReplicated: Bool
        var offline: Bool
        var logStart: Int64
        var logEnd: Int64
        /// The last stable offset: where read_committed consumers stop while a transaction is open.
        var lastStable: Int64
        var messages: Int64
    }

    /// A producer's open transaction on one partition (what keeps read_committed consumers at the LSO).
    struct OpenTransaction: Encodable, Sendable {
        var partition: Int32
        var producerID: Int64
        var producerEpoch: Int32
        var startOffset: Int64
        var lastTimestamp: Int64
    }

    var name: String
    var isInternal: Bool
    var partitions: [Partition]
    var messages: Int64
    var configs: [BrokerPage.Config]
    var openTransactions: [OpenTransaction] = []
}

extension ConsoleCluster {
    func topics(query: String) async throws -> TopicsPage {
        let all = try await describeAll()
        let chosen = query.isEmpty ? all : all.filter { $0.name.localizedCaseInsensitiveContains(query) }
        let partitions = chosen.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0.partition) } }
        async let marksAnswer = watermarks(partitions)
        async let dirsAnswer = try? admin.describeLogDirs()
        let (marks, dirs) = try await (marksAnswer, dirsAnswer)
        let leaders = Dictionary(
            chosen.flatMap { topic in topic.partitions.map { (TopicPartition(topic.name, $0.partition), $0.leader) } },
            uniquingKeysWith: { first, _ in first }
        )
        var sizes: [String: Int64] = [:]
        for (broker, directories) in dirs ?? [:] {
            for directory in directories {
                for (partition, replica) in directory.replicas where !replica.isFuture && leaders[partition] == broker {
                    sizes[partition.topic, default: 0] += replica.size
                }
            }
        }
        let topics = chosen.map { topic in
            let messages = topic.partitions.reduce(Int64(0)) { sum, partition in
                let mark = marks[TopicPartition(topic.name, partition.partition)]
                return sum + (mark.map { $0.end - $0.start } ?? 0)
            }
            return TopicsPage.Topic(
                name: topic.name,
                isInternal: topic.isInternal,
                partitions: topic.partitions.count,
                replicationFactor: topic.partitions.first?.replicas.count ?? 0,
                underReplicated: topic.partitions.filter { $0.isr.count < $0.replicas.count }.count,
                offline: topic.partitions.filter { $0.leader < 0 }.count,
                messages: messages,
                sizeBytes: sizes[topic.name] ?? 0,
                size: Self.bytes(sizes[topic.name] ?? 0)
            )
        }
        return TopicsPage(query: query, total: all.count, topics: topics)
    }

    func topic(_ name: String) async throws -> TopicPage? {
        guard let topic = try await admin.describeTopics([name]).first, topic.error == .none else { return nil }
        let asked = topic.partitions.map { TopicPartition(name, $0.partition) }
        let marks = try await watermarks(asked)
        let stable = (try? await admin.listOffsets(asked, at: -1, readCommitted: true)) ?? [:]
        let resource = ConfigResource(.topic, name)
        let configs = try await admin.describeConfigs([resource])[resource].map { try $0.get() } ?? []
        let partitions = topic.partitions.sorted { $0.partition < $1.partition }.map { partition in
            let mark = marks[TopicPartition(name, partition.partition)]
            return TopicPage.Partition(
                partition: partition.partition,
                leader: partition.leader,
                leaderEpoch: partition.leaderEpoch,
                replicas: partition.replicas.map(String.init).joined(separator: ","),
                isr: partition.isr.map(String.init).joined(separator: ","),
                underReplicated: partition.isr.count < partition.replicas.count,
                offline: partition.leader < 0,
                logStart: mark?.start ?? -1,
                logEnd: mark?.end ?? -1,
                lastStable: (try? stable[TopicPartition(name, partition.partition)]?.get()) ?? -1,
                messages: mark.map { $0.end - $0.start } ?? 0
            )
        }
        return TopicPage(
            name: name,
            isInternal: topic.isInternal,
            partitions: partitions,
            messages: partitions.reduce(0) { $0 + $1.messages },
            configs: configs.map(BrokerPage.Config.init),
            openTransactions: await openTransactions(name, partitions: partitions.map(\.partition))
        )
    }

    // MARK: Changes (the server checks role, read-only mode and CSRF before calling these)

    func createTopic(
        name: String,
        partitions: Int32,
        replicationFactor: Int16,
        configs: [String: String]
    ) async throws
        -> Result<Void, AdminError>
    {
        let answer = try await admin.createTopics([
            NewTopic(name: name, numPartitions: partitions, replicationFactor: replicationFactor, configs: configs)
        ])
        return answer[name] ?? .failure(AdminError(.unknownServerError, "no answer for \(name)"))
    }

    func deleteTopic(_ name: String) async throws -> Result<Void, AdminError> {
        try await admin.deleteTopics([name])[name] ?? .failure(AdminError(.unknownServerError, "no answer"))
    }

    func addPartitions(_ name: String, total: Int32) async throws -> Result<Void, AdminError> {
        try await admin.createPartitions([name: total])[name] ?? .failure(AdminError(.unknownServerError, "no answer"))
    }

    /// Sets (a value) or removes (nil: back to the default) one topic config, validated by the broker.
    func alterTopicConfig(_ name: String, key: String, value: String?) async throws -> Result<Void, AdminError> {
        let resource = ConfigResource(.topic, name)
        let operation: AlterConfigOp = value.map { .set(key, $0) } ?? .delete(key)
        return try await admin.incrementalAlterConfigs([resource: [operation]])[resource]
            ?? .failure(AdminError(.unknownServerError, "no answer"))
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
