import KafkaCore
import KafkaProtocol

/// FindCoordinator (10), advertised 0-3 (librdkafka 2.0.2 turns on LZ4 and group support only when v0 is
/// advertised; v4+ batches keys). A group's coordinator is the leader of its `__consumer_offsets` partition. The
/// first lookup creates that topic (`offsets.topic.num.partitions`, `offsets.topic.replication.factor`, compacted),
/// refused with COORDINATOR_NOT_AVAILABLE while fewer brokers are alive than the replication factor, as in Kafka;
/// until the partition has a leader the answer is COORDINATOR_NOT_AVAILABLE, which clients retry. Transaction
/// coordinators (key type 1) are not built: COORDINATOR_NOT_AVAILABLE.
enum FindCoordinatorHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(FindCoordinatorRequest.self) { request, context in
            func failure(_ code: KafkaErrorCode, _ message: String) -> FindCoordinatorResponse {
                FindCoordinatorResponse(errorCode: code, errorMessage: message, nodeID: -1, host: "", port: -1)
            }
            guard request.keyType == 0 else {
                return failure(.coordinatorNotAvailable, "The transaction coordinator is not available.")
            }
            guard !request.key.isEmpty else { return failure(.invalidGroupID, "The group id is empty.") }
            let topicPartition = services.offsetsTopic.partition(for: request.key)
            guard let state = services.metadataCache.partition(topicPartition) else {
                await createOffsetsTopic(services)
                return failure(.coordinatorNotAvailable, "The coordinator is not available.")
            }
            guard state.leader >= 0,
                let broker = services.metadataCache.liveBrokers.first(where: { $0.id == state.leader }),
                let endpoint = broker.endpoints[context.listenerName]
            else {
                return failure(.coordinatorNotAvailable, "The coordinator is not available.")
            }
            return FindCoordinatorResponse(
                errorCode: .none,
                errorMessage: nil,
                nodeID: state.leader,
                host: endpoint.host,
                port: endpoint.port
            )
        }
    }

    /// Creates `__consumer_offsets` unless ZooKeeper already has it.
    static func createOffsetsTopic(_ services: BrokerServices) async {
        let topic = OffsetsTopicManager.topic
        if (try? await services.zk.getTopicAssignment(topic)) != nil { return }
        let alive = (try? await services.zk.getAllBrokers().count) ?? 0
        guard alive >= Int(services.config.offsetsTopicReplicationFactor) else {
            services.logger.error(
                "Cannot create \(topic): \(alive) live brokers, offsets.topic.replication.factor is \(services.config.offsetsTopicReplicationFactor)"
            )
            return
        }
        do {
            try await TopicCreator(services: services).create(
                topic,
                partitions: services.config.offsetsTopicNumPartitions,
                replicationFactor: services.config.offsetsTopicReplicationFactor,
                configs: [
                    "cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "104857600",
                ]
            )
        } catch let failure where failure.code == .topicAlreadyExists {
        } catch {
            services.logger.error("Cannot create \(topic): \(error)")
        }
    }
}
