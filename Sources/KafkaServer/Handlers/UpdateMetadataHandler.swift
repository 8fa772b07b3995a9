import KafkaCore
import KafkaProtocol

/// UpdateMetadata (6), from the controller: the live brokers and partition states this broker answers Metadata
/// with; a partition marked deleted (leader -2) loses its committed offsets.
/// With an authorizer the sender needs Cluster:ClusterAction (CLUSTER_AUTHORIZATION_FAILED).
enum UpdateMetadataHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(UpdateMetadataRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .clusterAction) else {
                return UpdateMetadataResponse(errorCode: .clusterAuthorizationFailed)
            }
            // UpdateMetadata carries no controller epoch check here: the metadata cache keeps the newest it saw.
            if let error = services.fencingError(controllerEpoch: nil, brokerEpoch: request.brokerEpoch) {
                return UpdateMetadataResponse(errorCode: error)
            }
            let code = services.metadataCache.update(from: request)
            if code == .none {
                // Leader -2 marks a deleted partition: its committed offsets go too.
                let deleted = request.topicStates.flatMap { topic in
                    topic.partitionStates.filter { $0.leader == -2 }.map {
                        TopicPartition(topic.topicName, $0.partitionIndex)
                    }
                }
                await services.groupCoordinator.handleDeletedPartitions(Set(deleted))
            }
            return UpdateMetadataResponse(errorCode: code)
        }
    }
}
