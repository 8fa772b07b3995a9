import KafkaController
import KafkaCore
import KafkaProtocol

/// ElectLeaders (43), versions 0-2: preferred (0) or unclean (1) leader elections, run by the active controller
/// (any other broker answers NOT_CONTROLLER for every partition, as Kafka's ZooKeeper-era brokers do). Null
/// partitions: every partition, answering only those elected or failed. With an authorizer: Cluster:Alter
/// (CLUSTER_AUTHORIZATION_FAILED).
enum ElectLeadersHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ElectLeadersRequest.self) { request, context in
            let requested = request.topicPartitions.map { topics in
                topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } }
            }
            let results: [TopicPartition: KafkaErrorCode]
            guard services.authorizer.authorizeCluster(context, .alter) else {
                // Kafka answers a top-level error and every named partition with it.
                return ElectLeadersResponse(
                    errorCode: .clusterAuthorizationFailed,
                    replicaElectionResults: (request.topicPartitions ?? []).map { topic in
                        .init(
                            topic: topic.topic,
                            partitionResult: topic.partitions.map {
                                .init(partitionID: $0, errorCode: .clusterAuthorizationFailed, errorMessage: nil)
                            }
                        )
                    }
                )
            }
            if let type = Controller.ElectionType(rawValue: context.apiVersion == 0 ? 0 : request.electionType) {
                results =
                    await services.controller.electLeaders(type, partitions: requested)
                    ?? Dictionary((requested ?? []).map { ($0, .notController) }) { first, _ in first }
            } else {
                results = Dictionary((requested ?? []).map { ($0, .invalidRequest) }) { first, _ in first }
            }
            return ElectLeadersResponse(
                errorCode: .none,
                replicaElectionResults: Set(results.keys.map(\.topic)).sorted().map { topic in
                    .init(
                        topic: topic,
                        partitionResult: results.keys.filter { $0.topic == topic }.sorted().map { partition in
                            let code = results[partition] ?? .unknownServerError
                            return .init(
                                partitionID: partition.partition,
                                errorCode: code,
                                errorMessage: code == .none ? nil : "\(code.name)"
                            )
                        }
                    )
                }
            )
        }
    }
}
