import KafkaCore
import KafkaProtocol

/// The controller's requests to brokers (LeaderAndIsr 4, StopReplica 5, UpdateMetadata 6). They are served but
/// never advertised to clients. A request from an older controller epoch than one already seen is refused with
/// STALE_CONTROLLER_EPOCH.
enum InterBrokerHandlers {
    static func make(_ services: BrokerServices) -> [any RequestHandler] {
        [
            TypedHandler(LeaderAndIsrRequest.self, versions: 0...6) { request, _ in
                guard request.controllerEpoch >= services.metadataCache.controllerEpoch else {
                    return LeaderAndIsrResponse(errorCode: KafkaErrorCode.staleControllerEpoch.rawValue)
                }
                var topics: [LeaderAndIsrResponse.LeaderAndIsrTopicError] = []
                for topic in request.topicStates {
                    let config = await services.logConfig(for: topic.topicName)
                    let errors = topic.partitionStates.map { state in
                        LeaderAndIsrResponse.LeaderAndIsrPartitionError(
                            partitionIndex: state.partitionIndex,
                            errorCode: services.replicaManager.becomeLeaderOrFollower(
                                TopicPartition(topic.topicName, state.partitionIndex),
                                leader: state.leader,
                                leaderEpoch: state.leaderEpoch,
                                isr: state.isr,
                                replicas: state.replicas,
                                config: config
                            ).rawValue
                        )
                    }
                    if topic.topicName == OffsetsTopicManager.topic {
                        for (state, error) in zip(topic.partitionStates, errors) where error.errorCode == 0 {
                            await services.offsetsTopic.leadershipChanged(
                                state.partitionIndex,
                                isLeader: state.leader == services.brokerID,
                                replicaManager: services.replicaManager
                            )
                        }
                    }
                    topics.append(.init(topicID: topic.topicID, partitionErrors: errors))
                }
                return LeaderAndIsrResponse(errorCode: 0, topics: topics)
            },
            TypedHandler(UpdateMetadataRequest.self, versions: 0...8) { request, _ in
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
                return UpdateMetadataResponse(errorCode: code.rawValue)
            },
            TypedHandler(StopReplicaRequest.self, versions: 0...4) { request, _ in
                guard request.controllerEpoch >= services.metadataCache.controllerEpoch else {
                    return StopReplicaResponse(errorCode: KafkaErrorCode.staleControllerEpoch.rawValue)
                }
                var errors: [StopReplicaResponse.StopReplicaPartitionError] = []
                for topic in request.topicStates {
                    for state in topic.partitionStates {
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
            },
        ]
    }

    static let keys: Set<ApiKey> = [.leaderAndIsr, .updateMetadata, .stopReplica, .controlledShutdown]
}
