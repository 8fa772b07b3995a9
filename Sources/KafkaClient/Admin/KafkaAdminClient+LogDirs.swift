public import KafkaCore
import KafkaProtocol

/// One partition replica on one broker (Kafka's `TopicPartitionReplica`), written `<broker>-<topic>-<partition>`.
public struct TopicPartitionReplica: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var broker: BrokerID
    public var partition: TopicPartition

    public init(broker: BrokerID, partition: TopicPartition) {
        self.broker = broker
        self.partition = partition
    }

    public var description: String { "\(broker)-\(partition.topic)-\(partition.partition)" }

    public static func < (a: Self, b: Self) -> Bool { (a.broker, a.partition) < (b.broker, b.partition) }
}

/// Where a replica's log is, as DescribeLogDirs tells (Kafka's `ReplicaLogDirInfo`): its current directory (nil
/// when no online directory holds it) and the directory it is moving to (nil when it is not moving).
public struct ReplicaLogDirInfo: Sendable, Equatable {
    public var currentDirectory: String?
    public var futureDirectory: String?

    public init(currentDirectory: String? = nil, futureDirectory: String? = nil) {
        self.currentDirectory = currentDirectory
        self.futureDirectory = futureDirectory
    }
}

/// Moving replicas between a broker's log directories (AlterReplicaLogDirs to each broker concerned) and finding
/// where they are (DescribeLogDirs), for `swiftkafka-admin reassign-partitions` with `log_dirs`.
extension KafkaAdminClient {
    /// Asks each broker to move its replicas to the directories given; each replica's error code (NONE: the move
    /// is under way or done; REPLICA_NOT_AVAILABLE: the broker does not host the replica yet).
    public func alterReplicaLogDirs(
        _ moves: [TopicPartitionReplica: String]
    ) async throws -> [TopicPartitionReplica: KafkaErrorCode] {
        var results: [TopicPartitionReplica: KafkaErrorCode] = [:]
        for broker in Set(moves.keys.map(\.broker)).sorted() {
            let here = moves.filter { $0.key.broker == broker }
            let request = AlterReplicaLogDirsRequest(
                dirs: Set(here.values).sorted().map { directory in
                    let partitions = here.filter { $0.value == directory }.keys.map(\.partition)
                    return .init(
                        path: directory,
                        topics: Set(partitions.map(\.topic)).sorted().map { topic in
                            .init(name: topic, partitions: partitions.filter { $0.topic == topic }.map(\.partition))
                        }
                    )
                }
            )
            let response = try await cluster.send(request, toBroker: broker)
            for topic in response.results {
                for partition in topic.partitions {
                    let replica = TopicPartitionReplica(
                        broker: broker,
                        partition: TopicPartition(topic.topicName, partition.partitionIndex)
                    )
                    results[replica] = partition.errorCode
                }
            }
        }
        return results
    }

    /// Where each replica's log is (Kafka's `describeReplicaLogDirs`).
    public func describeReplicaLogDirs(
        _ replicas: [TopicPartitionReplica]
    ) async throws -> [TopicPartitionReplica: ReplicaLogDirInfo] {
        let described = try await describeLogDirs(brokers: Set(replicas.map(\.broker)).sorted())
        var infos: [TopicPartitionReplica: ReplicaLogDirInfo] = [:]
        for replica in replicas {
            var info = ReplicaLogDirInfo()
            for directory in described[replica.broker] ?? [] where directory.error == .none {
                guard let found = directory.replicas[replica.partition] else { continue }
                if found.isFuture {
                    info.futureDirectory = directory.path
                } else {
                    info.currentDirectory = directory.path
                }
            }
            infos[replica] = info
        }
        return infos
    }
}
