import KafkaCore
import KafkaProtocol

/// StopReplica (5), from the controller: this broker stops following partitions, deleting their logs when asked.
enum StopReplicaHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(StopReplicaRequest.self) { request, _ in
            guard request.controllerEpoch >= services.metadataCache.controllerEpoch else {
                return StopReplicaResponse(errorCode: KafkaErrorCode.staleControllerEpoch.rawValue)
            }
            guard !services.brokerEpoch.isStale(request.brokerEpoch) else {
                return StopReplicaResponse(errorCode: KafkaErrorCode.staleBrokerEpoch.rawValue)
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
                            errorCode: code.rawValue
                        )
                    )
                }
            }
            return StopReplicaResponse(errorCode: 0, partitionErrors: errors)
        }
    }
}
