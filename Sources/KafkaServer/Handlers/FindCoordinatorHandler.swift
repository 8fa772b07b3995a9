import KafkaCore
import KafkaProtocol

/// FindCoordinator (10), advertised 0-3 (librdkafka 2.0.2 turns on LZ4 and group support only when v0 is
/// advertised; v4+ batches keys). A group's coordinator is the leader of its `__consumer_offsets` partition. The
/// first lookup creates that topic (`offsets.topic.num.partitions`, `offsets.topic.replication.factor`, compacted),
/// refused with COORDINATOR_NOT_AVAILABLE while fewer brokers are alive than the replication factor, as in Kafka;
/// until the partition has a leader the answer is COORDINATOR_NOT_AVAILABLE, which clients retry. A transactional
/// id's coordinator (key type 1) is the leader of its `__transaction_state` partition, created the same way with
/// the `transaction.state.log.*` settings. Another key type is INVALID_REQUEST. With an authorizer: Group:Describe
/// or TransactionalId:Describe on the key (GROUP_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
enum FindCoordinatorHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(FindCoordinatorRequest.self) { request, context in
            func failure(_ code: KafkaErrorCode, _ message: String) -> FindCoordinatorResponse {
                FindCoordinatorResponse(errorCode: code, errorMessage: message, nodeID: -1, host: "", port: -1)
            }
            let topicPartition: TopicPartition
            switch request.keyType {
            case 0:
                guard services.authorizer.authorize(context, .describe, .group, request.key) else {
                    return failure(.groupAuthorizationFailed, "Group authorization failed.")
                }
                guard !request.key.isEmpty else { return failure(.invalidGroupID, "The group id is empty.") }
                topicPartition = services.offsetsTopic.partition(for: request.key)
            case 1:
                guard services.authorizer.authorize(context, .describe, .transactionalID, request.key) else {
                    return failure(.transactionalIDAuthorizationFailed, "Transactional Id authorization failed.")
                }
                topicPartition = TopicPartition(
                    TransactionTopicManager.topic,
                    services.transactionTopic.coordinator.partition(for: request.key)
                )
            default:
                return failure(.invalidRequest, "Unknown coordinator type \(request.keyType).")
            }
            guard let state = services.metadataCache.partition(topicPartition) else {
                if request.keyType == 0 {
                    await createOffsetsTopic(services)
                } else {
                    await createTransactionTopic(services)
                }
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
        await createInternalTopic(
            OffsetsTopicManager.topic,
            partitions: services.config.offsetsTopicNumPartitions,
            replicationFactor: services.config.offsetsTopicReplicationFactor,
            replicationFactorKey: "offsets.topic.replication.factor",
            configs: ["cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "104857600"],
            services
        )
    }

    /// Creates `__transaction_state` unless ZooKeeper already has it (Kafka's settings: compacted, uncompressed,
    /// no unclean election).
    static func createTransactionTopic(_ services: BrokerServices) async {
        let config = services.config
        await createInternalTopic(
            TransactionTopicManager.topic,
            partitions: config.transactionStateLogNumPartitions,
            replicationFactor: config.transactionStateLogReplicationFactor,
            replicationFactorKey: "transaction.state.log.replication.factor",
            configs: [
                "cleanup.policy": "compact", "compression.type": "uncompressed",
                "segment.bytes": "\(config.transactionStateLogSegmentBytes)",
                "min.insync.replicas": "\(config.transactionStateLogMinIsr)",
                "unclean.leader.election.enable": "false",
            ],
            services
        )
    }

    /// Creates an internal topic, refused (one log line) while fewer brokers are alive than its replication factor.
    static func createInternalTopic(
        _ topic: String,
        partitions: Int32,
        replicationFactor: Int16,
        replicationFactorKey: String,
        configs: [String: String],
        _ services: BrokerServices
    ) async {
        if (try? await services.zk.getTopicAssignment(topic)) != nil { return }
        let alive = (try? await services.zk.getAllBrokers().count) ?? 0
        guard alive >= Int(replicationFactor) else {
            services.logger.error(
                "Cannot create \(topic): \(alive) live brokers, \(replicationFactorKey) is \(replicationFactor)"
            )
            return
        }
        do {
            try await TopicCreator(services: services).create(
                topic,
                partitions: partitions,
                replicationFactor: replicationFactor,
                configs: configs
            )
        } catch let failure where failure.code == .topicAlreadyExists {
        } catch {
            services.logger.error("Cannot create \(topic): \(error)")
        }
    }
}
