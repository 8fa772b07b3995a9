import KafkaCore
import KafkaProtocol

/// The controller's requests to brokers (LeaderAndIsr 4, StopReplica 5, UpdateMetadata 6, ControlledShutdown 7),
/// which are served but never advertised to clients, and OffsetForLeaderEpoch (23), which followers send to leaders
/// before fetching (and consumers, to detect truncation). A request from an older controller epoch than one already
/// seen gets STALE_CONTROLLER_EPOCH; one meant for an earlier registration of this broker (an older broker epoch)
/// STALE_BROKER_EPOCH. LeaderAndIsr starts and stops the replica fetchers.
enum InterBrokerHandlers {
    static func make(_ services: BrokerServices) -> [any RequestHandler] {
        [
            TypedHandler(LeaderAndIsrRequest.self, versions: 0...6) { request, _ in
                guard request.controllerEpoch >= services.metadataCache.controllerEpoch else {
                    return LeaderAndIsrResponse(errorCode: KafkaErrorCode.staleControllerEpoch.rawValue)
                }
                guard !services.brokerEpoch.isStale(request.brokerEpoch) else {
                    return LeaderAndIsrResponse(errorCode: KafkaErrorCode.staleBrokerEpoch.rawValue)
                }
                let leaders = Dictionary(
                    request.liveLeaders.map {
                        ($0.brokerID, LeaderEndpoint(id: $0.brokerID, host: $0.hostName, port: $0.port))
                    },
                    uniquingKeysWith: { first, _ in first }
                )
                var topics: [LeaderAndIsrResponse.LeaderAndIsrTopicError] = []
                for topic in request.topicStates {
                    let config = await services.logConfig(for: topic.topicName)
                    let errors = topic.partitionStates.map { state in
                        let topicPartition = TopicPartition(topic.topicName, state.partitionIndex)
                        let (code, transition) = services.replicaManager.becomeLeaderOrFollower(
                            topicPartition,
                            leader: state.leader,
                            leaderEpoch: state.leaderEpoch,
                            isr: state.isr,
                            replicas: state.replicas,
                            zkVersion: state.partitionEpoch,
                            config: config
                        )
                        switch transition {
                        case .becameLeader:
                            services.fetcherManager.remove([topicPartition])
                        case .becameFollower(let leader, true):
                            if let endpoint = leaders[leader] {
                                services.fetcherManager.add(
                                    topicPartition,
                                    leader: endpoint,
                                    leaderEpoch: state.leaderEpoch
                                )
                            } else {
                                services.fetcherManager.remove([topicPartition])
                                if leader >= 0 {
                                    services.logger.warning(
                                        "LeaderAndIsr names leader \(leader) without its endpoint",
                                        metadata: ["partition": "\(topicPartition)"]
                                    )
                                }
                            }
                        default:
                            break
                        }
                        return LeaderAndIsrResponse.LeaderAndIsrPartitionError(
                            partitionIndex: state.partitionIndex,
                            errorCode: code.rawValue
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
                guard !services.brokerEpoch.isStale(request.brokerEpoch) else {
                    return UpdateMetadataResponse(errorCode: KafkaErrorCode.staleBrokerEpoch.rawValue)
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
                return UpdateMetadataResponse(errorCode: code.rawValue)
            },
            TypedHandler(StopReplicaRequest.self, versions: 0...4) { request, _ in
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
            },
            TypedHandler(ControlledShutdownRequest.self, versions: 0...3) { request, _ in
                let (code, remaining) = await services.controller.controlledShutdown(
                    brokerID: request.brokerID,
                    brokerEpoch: request.brokerEpoch
                )
                return ControlledShutdownResponse(
                    errorCode: code.rawValue,
                    remainingPartitions: remaining.map { .init(topicName: $0.topic, partitionIndex: $0.partition) }
                )
            },
        ]
    }

    /// OffsetForLeaderEpoch (23), advertised 0-3 as Kafka 2.8 does: followers ask it before fetching, and
    /// consumers that know leader epochs (KIP-320) ask it to detect truncation.
    static func offsetForLeaderEpoch(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetForLeaderEpochRequest.self, versions: 0...3) { request, _ in
            OffsetForLeaderEpochResponse(
                topics: request.topics.map { topic in
                    .init(
                        topic: topic.topic,
                        partitions: topic.partitions.map { partition in
                            let answer = services.replicaManager.endOffset(
                                TopicPartition(topic.topic, partition.partition),
                                currentLeaderEpoch: partition.currentLeaderEpoch,
                                leaderEpoch: partition.leaderEpoch
                            )
                            return .init(
                                errorCode: answer.errorCode.rawValue,
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

    static let keys: Set<ApiKey> = [.leaderAndIsr, .updateMetadata, .stopReplica, .controlledShutdown]
}
