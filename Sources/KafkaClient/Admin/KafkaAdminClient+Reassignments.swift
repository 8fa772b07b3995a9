public import KafkaCore
import KafkaProtocol

/// A reassignment in progress as ListPartitionReassignments reports it: the full replica set, the replicas being
/// added and those being removed.
public struct PartitionReassignment: Sendable, Equatable {
    public var replicas: [BrokerID]
    public var adding: [BrokerID]
    public var removing: [BrokerID]

    public init(replicas: [BrokerID], adding: [BrokerID], removing: [BrokerID]) {
        self.replicas = replicas
        self.adding = adding
        self.removing = removing
    }
}

/// One log directory of one broker as DescribeLogDirs reports it: its error (NONE, or KAFKA_STORAGE_ERROR for an
/// offline directory) and each partition replica in it with its size and offset lag.
public struct LogDirDescription: Sendable, Equatable {
    public struct Replica: Sendable, Equatable {
        public var size: Int64
        public var offsetLag: Int64
        public var isFuture: Bool
    }

    public var path: String
    public var error: KafkaErrorCode
    public var replicas: [TopicPartition: Replica]
}

/// Partition reassignment (KIP-455) and log directories, for `swiftkafka-admin reassign-partitions` and
/// `log-dirs`: the reassignment requests go to the controller, DescribeLogDirs to each broker asked.
extension KafkaAdminClient {
    /// Starts (a replica list) or cancels (nil) the reassignment of each partition; each partition's outcome. A
    /// request-level error is thrown.
    public func alterPartitionReassignments(
        _ targets: [TopicPartition: [BrokerID]?]
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        let request = AlterPartitionReassignmentsRequest(
            timeoutMs: operationTimeoutMs,
            topics: Set(targets.keys.map(\.topic)).sorted().map { topic in
                .init(
                    name: topic,
                    partitions: targets.keys.filter { $0.topic == topic }.sorted().map { partition in
                        .init(partitionIndex: partition.partition, replicas: targets[partition] ?? nil)
                    }
                )
            }
        )
        let response = try await sendToController(request) { $0.errorCode == .notController }
        guard response.errorCode == .none else { throw AdminError(response.errorCode, response.errorMessage) }
        var results: [TopicPartition: Result<Void, AdminError>] = [:]
        for topic in response.responses {
            for partition in topic.partitions {
                results[TopicPartition(topic.name, partition.partitionIndex)] =
                    partition.errorCode == .none
                    ? .success(()) : .failure(AdminError(partition.errorCode, partition.errorMessage))
            }
        }
        return results
    }

    /// The reassignments in progress among `partitions` (nil: all).
    public func listPartitionReassignments(
        _ partitions: [TopicPartition]? = nil
    ) async throws -> [TopicPartition: PartitionReassignment] {
        let request = ListPartitionReassignmentsRequest(
            timeoutMs: operationTimeoutMs,
            topics: partitions.map { partitions in
                Set(partitions.map(\.topic)).sorted().map { topic in
                    .init(name: topic, partitionIndexes: partitions.filter { $0.topic == topic }.map(\.partition))
                }
            }
        )
        let response = try await sendToController(request) { $0.errorCode == .notController }
        guard response.errorCode == .none else { throw AdminError(response.errorCode, response.errorMessage) }
        var ongoing: [TopicPartition: PartitionReassignment] = [:]
        for topic in response.topics {
            for partition in topic.partitions {
                ongoing[TopicPartition(topic.name, partition.partitionIndex)] = PartitionReassignment(
                    replicas: partition.replicas,
                    adding: partition.addingReplicas,
                    removing: partition.removingReplicas
                )
            }
        }
        return ongoing
    }

    /// Each broker's log directories (all brokers when `brokers` is nil), with every partition replica in them.
    public func describeLogDirs(brokers: [BrokerID]? = nil) async throws -> [BrokerID: [LogDirDescription]] {
        var ids = brokers ?? []
        if brokers == nil { ids = try await describeCluster().brokers.keys.sorted() }
        var answers: [BrokerID: [LogDirDescription]] = [:]
        for id in ids {
            let response = try await cluster.send(DescribeLogDirsRequest(topics: nil), toBroker: id)
            guard response.errorCode == .none else { throw AdminError(response.errorCode) }
            answers[id] = response.results.map { result in
                var replicas: [TopicPartition: LogDirDescription.Replica] = [:]
                for topic in result.topics {
                    for partition in topic.partitions {
                        replicas[TopicPartition(topic.name, partition.partitionIndex)] = .init(
                            size: partition.partitionSize,
                            offsetLag: partition.offsetLag,
                            isFuture: partition.isFutureKey
                        )
                    }
                }
                return LogDirDescription(path: result.logDir, error: result.errorCode, replicas: replicas)
            }
        }
        return answers
    }
}
