import KafkaCore
import KafkaProtocol
import KafkaReplication

/// LeaderAndIsr (4), from the controller: this broker becomes leader or follower of partitions (followers start
/// fetching from their leader). Refused from an older controller epoch (STALE_CONTROLLER_EPOCH) or for an older
/// registration of this broker (STALE_BROKER_EPOCH).
/// With an authorizer the sender needs Cluster:ClusterAction (CLUSTER_AUTHORIZATION_FAILED).
enum LeaderAndIsrHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(LeaderAndIsrRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .clusterAction) else {
                return LeaderAndIsrResponse(errorCode: .clusterAuthorizationFailed)
            }
            if let error = services.fencingError(
                controllerEpoch: request.controllerEpoch,
                brokerEpoch: request.brokerEpoch
            ) {
                return LeaderAndIsrResponse(errorCode: error)
            }
            let leaders = Dictionary(
                request.liveLeaders.map {
                    ($0.brokerID, LeaderBroker(id: $0.brokerID, host: $0.hostName, port: $0.port))
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
                        errorCode: code
                    )
                }
                if topic.topicName == OffsetsTopicManager.topic {
                    for (state, error) in zip(topic.partitionStates, errors) where error.errorCode == .none {
                        await services.offsetsTopic.leadershipChanged(
                            state.partitionIndex,
                            isLeader: state.leader == services.brokerID,
                            replicaManager: services.replicaManager
                        )
                    }
                }
                if topic.topicName == TransactionTopicManager.topic {
                    for (state, error) in zip(topic.partitionStates, errors) where error.errorCode == .none {
                        await services.transactionTopic.leadershipChanged(
                            state.partitionIndex,
                            isLeader: state.leader == services.brokerID,
                            leaderEpoch: state.leaderEpoch,
                            replicaManager: services.replicaManager
                        )
                    }
                }
                topics.append(.init(topicID: topic.topicID, partitionErrors: errors))
            }
            return LeaderAndIsrResponse(errorCode: .none, topics: topics)
        }
    }
}
