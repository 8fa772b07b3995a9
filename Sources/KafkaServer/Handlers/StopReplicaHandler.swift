import KafkaCore
import KafkaProtocol

/// StopReplica (5), from the controller: this broker stops following partitions, deleting their logs when asked.
/// With an authorizer the sender needs Cluster:ClusterAction (CLUSTER_AUTHORIZATION_FAILED).
enum StopReplicaHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(StopReplicaRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .clusterAction) else {
                return StopReplicaResponse(errorCode: .clusterAuthorizationFailed)
            }
            if let error = services.fencingError(
                controllerEpoch: request.controllerEpoch,
                brokerEpoch: request.brokerEpoch
            ) {
                return StopReplicaResponse(errorCode: error)
            }
            var errors: [StopReplicaResponse.StopReplicaPartitionError] = []
            for topic in request.topicStates {
                for state in topic.partitionStates {
                    services.fetcherManager.remove([TopicPartition(topic.topicName, state.partitionIndex)])
                    let code = services.replicaManager.stopReplica(
                        TopicPartition(topic.topicName, state.partitionIndex),
                        delete: state.deletePartition
                    )
                    errors.append(
                        .init(
                            topicName: topic.topicName,
                            partitionIndex: state.partitionIndex,
                            errorCode: code
                        )
                    )
                }
            }
            return StopReplicaResponse(errorCode: .none, partitionErrors: errors)
        }
    }
}
