import KafkaCore
import KafkaProtocol
import KafkaZooKeeper

/// The controller's requests to brokers, built from its view of the cluster (`assignments`, `states`,
/// `liveBrokers`) and handed to each broker's queue (`BrokerRequestQueues`): LeaderAndIsr to the replicas of changed
/// partitions, UpdateMetadata to every live broker, StopReplica with deletion to replicas that go. Called only from
/// the event loop.
extension Controller {
    /// StopReplica with deletion of `partitions` (all of one topic) to `broker`, through its queue; the answer is
    /// not awaited (topic deletion awaits its own: `Controller+TopicDeletion.swift`).
    func sendStopReplica(_ partitions: [TopicPartition], leaderEpoch: Int32, to broker: BrokerRegistration) {
        guard !partitions.isEmpty else { return }
        let request = stopReplicaRequest(partitions, leaderEpoch: leaderEpoch)
        let channel = self.channel
        queues.enqueue(to: broker) { _ = try? await channel.send(request, to: broker) }
    }

    /// StopReplica v3 with deletion of `partitions` (all of one topic).
    func stopReplicaRequest(_ partitions: [TopicPartition], leaderEpoch: Int32) -> StopReplicaRequest {
        let topic = partitions.first?.topic ?? ""
        let states: [StopReplicaRequest.StopReplicaPartitionState] = partitions.map { partition in
            StopReplicaRequest.StopReplicaPartitionState(
                partitionIndex: partition.partition,
                leaderEpoch: leaderEpoch,
                deletePartition: true
            )
        }
        return StopReplicaRequest(
            controllerID: brokerID,
            controllerEpoch: epoch,
            deletePartitions: true,
            topicStates: [StopReplicaRequest.StopReplicaTopicState(topicName: topic, partitionStates: states)]
        )
    }

    func sendLeaderAndIsr(for partitions: [TopicPartition], to only: Set<BrokerID>? = nil) async {
        for broker in liveBrokers.values where only?.contains(broker.id) ?? true {
            let mine = partitions.filter {
                assignments[$0.topic]?.partitions[$0.partition]?.contains(broker.id) == true
            }
            guard !mine.isEmpty else { continue }
            let grouped = Dictionary(grouping: mine, by: \.topic)
            let request = LeaderAndIsrRequest(
                controllerID: brokerID,
                controllerEpoch: epoch,
                brokerEpoch: broker.epoch ?? -1,
                type: 0,
                topicStates: grouped.map { topic, partitions in
                    .init(
                        topicName: topic,
                        topicID: assignments[topic]?.topicID ?? .zero,
                        partitionStates: partitions.compactMap { partition in
                            guard let state = states[partition],
                                let replicas = assignments[topic]?.partitions[partition.partition]
                            else { return nil }
                            return .init(
                                topicName: topic,
                                partitionIndex: partition.partition,
                                controllerEpoch: state.controllerEpoch,
                                leader: state.leader,
                                leaderEpoch: state.leaderEpoch,
                                isr: state.isr,
                                partitionEpoch: state.zkVersion,
                                replicas: replicas,
                                isNew: state.leaderEpoch == 0
                            )
                        }
                    )
                },
                liveLeaders: liveBrokers.values.map { broker in
                    // Followers fetch on the inter-broker listener (Kafka: node(interBrokerListenerName)).
                    let endpoint =
                        broker.endpoints.first { $0.listenerName == interBrokerListener } ?? broker.endpoints.first
                    return .init(brokerID: broker.id, hostName: endpoint?.host ?? "", port: endpoint?.port ?? -1)
                }
            )
            let (channel, logger) = (self.channel, self.logger)
            queues.enqueue(to: broker) {
                do {
                    let response = try await channel.send(request, to: broker)
                    if response.errorCode != .none {
                        logger.warning(
                            "LeaderAndIsr refused",
                            metadata: [
                                "broker": "\(broker.id)", "error": "\(response.errorCode)",
                            ]
                        )
                    }
                } catch {
                    logger.warning("LeaderAndIsr to broker \(broker.id) failed: \(error)")
                }
            }
        }
    }

    func sendUpdateMetadata(
        to brokers: [BrokerRegistration],
        partitions: [TopicPartition],
        deleting: Bool = false
    )
        async
    {
        let grouped = Dictionary(grouping: partitions, by: \.topic)
        let topicStates: [UpdateMetadataRequest.UpdateMetadataTopicState] = grouped.map { topic, partitions in
            .init(
                topicName: topic,
                topicID: assignments[topic]?.topicID ?? .zero,
                partitionStates: partitions.compactMap { partition in
                    guard let replicas = assignments[topic]?.partitions[partition.partition] else { return nil }
                    let state = states[partition]
                    return .init(
                        topicName: topic,
                        partitionIndex: partition.partition,
                        controllerEpoch: epoch,
                        leader: deleting ? -2 : (state?.leader ?? -1),
                        leaderEpoch: state?.leaderEpoch ?? -1,
                        isr: state?.isr ?? [],
                        zkVersion: state?.zkVersion ?? -1,
                        replicas: replicas,
                        offlineReplicas: replicas.filter { liveBrokers[$0] == nil }
                    )
                }
            )
        }
        let live = liveBrokers.values.sorted { $0.id < $1.id }.map { broker in
            UpdateMetadataRequest.UpdateMetadataBroker(
                id: broker.id,
                endpoints: broker.endpoints.map {
                    .init(
                        port: $0.port,
                        host: $0.host,
                        listener: $0.listenerName,
                        securityProtocol: Self.protocolID($0.securityProtocol)
                    )
                },
                rack: broker.rack
            )
        }
        for broker in brokers {
            let request = UpdateMetadataRequest(
                controllerID: brokerID,
                controllerEpoch: epoch,
                brokerEpoch: broker.epoch ?? -1,
                topicStates: topicStates,
                liveBrokers: live
            )
            let (channel, logger) = (self.channel, self.logger)
            queues.enqueue(to: broker) {
                do {
                    _ = try await channel.send(request, to: broker)
                } catch {
                    logger.warning("UpdateMetadata to broker \(broker.id) failed: \(error)")
                }
            }
        }
    }

    static func protocolID(_ name: String) -> Int16 {
        switch name {
        case "SSL": 1
        case "SASL_PLAINTEXT": 2
        case "SASL_SSL": 3
        default: 0
        }
    }
}
