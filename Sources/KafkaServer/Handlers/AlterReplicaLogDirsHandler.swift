import KafkaCore
import KafkaProtocol

/// AlterReplicaLogDirs (34), versions 0-2 (`kafka-reassign-partitions` with `log_dirs`, admin clients'
/// `alterReplicaLogDirs`), answered by each broker for its own replicas: every partition named gets NONE (its move
/// to that directory is under way, or it is there already) or Kafka's error for it (see
/// `ReplicaManager.alterReplicaLogDir`), grouped by topic as Kafka answers. With an authorizer: Cluster:Alter
/// (CLUSTER_AUTHORIZATION_FAILED for every partition).
enum AlterReplicaLogDirsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AlterReplicaLogDirsRequest.self) { request, context in
            var results: [String: [AlterReplicaLogDirsResponse.AlterReplicaLogDirPartitionResult]] = [:]
            let allowed = services.authorizer.authorizeCluster(context, .alter)
            for directory in request.dirs {
                for topic in directory.topics {
                    for index in topic.partitions {
                        let error =
                            allowed
                            ? services.replicaManager.alterReplicaLogDir(
                                TopicPartition(topic.name, index),
                                to: directory.path
                            ) : .clusterAuthorizationFailed
                        results[topic.name, default: []].append(.init(partitionIndex: index, errorCode: error))
                    }
                }
            }
            return AlterReplicaLogDirsResponse(
                results: results.keys.sorted().map { .init(topicName: $0, partitions: results[$0]!) }
            )
        }
    }
}
