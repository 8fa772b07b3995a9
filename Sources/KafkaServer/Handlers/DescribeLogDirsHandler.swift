import KafkaCore
import KafkaProtocol

/// DescribeLogDirs (35), versions 0-2 (`kafka-log-dirs --describe`, admin clients' `describe_log_dirs`), answered by
/// each broker for itself: every configured log directory (KAFKA_STORAGE_ERROR and nothing else for an offline one)
/// with the partitions it holds (all, or those asked), each with its size in bytes and its offset lag (Kafka's
/// `max(0, high watermark - log end offset)`), and the copies of replicas moving into it (`is_future_key`, their lag
/// behind the replica's current log). With an authorizer: Cluster:Describe, else an empty answer.
enum DescribeLogDirsHandler {
    private struct Replica {
        var partition: TopicPartition
        var isFuture: Bool
    }

    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeLogDirsRequest.self) { request, context in
            // Without Cluster:Describe the answer is empty, as Kafka's (v0-2 have no error field for it).
            guard services.authorizer.authorizeCluster(context, .describe) else { return DescribeLogDirsResponse() }
            let logManager = services.replicaManager.logManager
            let asked = request.topics.map { topics in
                Set(topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } })
            }
            var byDirectory: [String: [Replica]] = [:]
            for partition in logManager.partitions where asked?.contains(partition) ?? true {
                if let directory = logManager.directory(of: partition) {
                    byDirectory[directory, default: []].append(Replica(partition: partition, isFuture: false))
                }
            }
            for (partition, directory) in logManager.futureLogDirectories where asked?.contains(partition) ?? true {
                byDirectory[directory, default: []].append(Replica(partition: partition, isFuture: true))
            }
            let offline = logManager.failures.offlineDirectories
            return DescribeLogDirsResponse(
                results: logManager.configuration.logDirectories.map { directory in
                    guard !offline.contains(directory) else {
                        return .init(errorCode: .kafkaStorageError, logDir: directory, topics: [])
                    }
                    let replicas = byDirectory[directory] ?? []
                    return .init(
                        errorCode: .none,
                        logDir: directory,
                        topics: Set(replicas.map(\.partition.topic)).sorted().map { topic in
                            .init(
                                name: topic,
                                partitions: replicas.filter { $0.partition.topic == topic }
                                    .sorted { $0.partition < $1.partition }
                                    .compactMap { describe($0, services) }
                            )
                        }
                    )
                }
            )
        }
    }

    private static func describe(
        _ replica: Replica,
        _ services: BrokerServices
    ) -> DescribeLogDirsResponse.DescribeLogDirsPartition? {
        let logManager = services.replicaManager.logManager
        guard let current = logManager.log(for: replica.partition) else { return nil }
        guard replica.isFuture else {
            let highWatermark = services.replicaManager.partition(replica.partition)?.highWatermark ?? 0
            return .init(
                partitionIndex: replica.partition.partition,
                partitionSize: current.sizeInBytes,
                offsetLag: max(0, highWatermark - current.logEndOffset),
                isFutureKey: false
            )
        }
        guard let future = logManager.futureLog(for: replica.partition) else { return nil }
        return .init(
            partitionIndex: replica.partition.partition,
            partitionSize: future.sizeInBytes,
            offsetLag: max(0, current.logEndOffset - future.logEndOffset),
            isFutureKey: true
        )
    }
}
