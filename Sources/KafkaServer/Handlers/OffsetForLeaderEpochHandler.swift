import KafkaCore
import KafkaProtocol

/// OffsetForLeaderEpoch (23), advertised 0-3 as Kafka 2.8 does: followers ask it before fetching, and
/// consumers that know leader epochs (KIP-320) ask it to detect truncation. With an authorizer: Cluster:ClusterAction,
/// else Topic:Describe per topic (TOPIC_AUTHORIZATION_FAILED).
enum OffsetForLeaderEpochHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetForLeaderEpochRequest.self) { request, context in
            // A follower has Cluster:ClusterAction (asked quietly); a consumer needs Topic:Describe.
            let authorizer = services.authorizer
            let described =
                authorizer.authorizeCluster(context, .clusterAction, logIfDenied: false)
                ? AuthorizedNames.all
                : authorizer.authorizedNames(context, .describe, .topic, request.topics.map(\.topic))
            return OffsetForLeaderEpochResponse(
                topics: request.topics.map { topic in
                    .init(
                        topic: topic.topic,
                        partitions: topic.partitions.map { partition in
                            guard described.contains(topic.topic) else {
                                return .init(errorCode: .topicAuthorizationFailed, partition: partition.partition)
                            }
                            let answer = services.replicaManager.endOffset(
                                TopicPartition(topic.topic, partition.partition),
                                currentLeaderEpoch: partition.currentLeaderEpoch,
                                leaderEpoch: partition.leaderEpoch
                            )
                            return .init(
                                errorCode: answer.errorCode,
                                partition: partition.partition,
                                leaderEpoch: answer.leaderEpoch,
                                endOffset: answer.endOffset
                            )
                        }
                    )
                }
            )
        }
    }
}
