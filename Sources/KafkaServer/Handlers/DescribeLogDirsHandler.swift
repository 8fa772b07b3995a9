import KafkaCore
import KafkaProtocol

/// DescribeLogDirs (35), versions 0-2 (`kafka-log-dirs --describe`, admin clients' `describe_log_dirs`), answered by
/// each broker for itself: every configured log directory with the partitions it holds (all, or those asked), each
/// with its size in bytes and its offset lag (Kafka's `max(0, high watermark - log end offset)`; no future replicas
/// exist here, so `is_future_key` is false).
enum DescribeLogDirsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeLogDirsRequest.self) { request, _ in
            let logManager = services.replicaManager.logManager
            let asked = request.topics.map { topics in
                Set(topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } })
            }
            var byDirectory: [String: [TopicPartition]] = [:]
            for partition in logManager.partitions where asked?.contains(partition) ?? true {
                if let directory = logManager.directory(of: partition) {
                    byDirectory[directory, default: []].append(partition)
                }
            }
            return DescribeLogDirsResponse(
                results: logManager.configuration.logDirectories.map { directory in
                    let partitions = byDirectory[directory] ?? []
                    return .init(
                        errorCode: .none,
                        logDir: directory,
                        topics: Set(partitions.map(\.topic)).sorted().map { topic in
                            .init(
                                name: topic,
                                partitions: partitions.filter { $0.topic == topic }.sorted().compactMap { partition in
                                    guard let log = logManager.log(for: partition) else { return nil }
                                    let highWatermark = services.replicaManager.partition(partition)?.highWatermark
                                    return .init(
                                        partitionIndex: partition.partition,
                                        partitionSize: log.sizeInBytes,
                                        offsetLag: max(0, (highWatermark ?? 0) - log.logEndOffset),
                                        isFutureKey: false
                                    )
                                }
                            )
                        }
                    )
                }
            )
        }
    }
}
