import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// The transactional producer's requests to its transaction coordinator (the leader of the id's
/// `__transaction_state` partition), answered by `TransactionCoordinator`: AddPartitionsToTxn (24) and
/// AddOffsetsToTxn (25), which add partitions to the open transaction, and EndTxn (26), each versions 0-3. Another
/// broker answers NOT_COORDINATOR, which sends the client back to FindCoordinator. With an authorizer each needs
/// TransactionalId:Write (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), AddPartitionsToTxn also Topic:Write per topic
/// (TOPIC_AUTHORIZATION_FAILED, the others OPERATION_NOT_ATTEMPTED), AddOffsetsToTxn Group:Read.
enum TransactionHandlers {
    /// KIP-588's PRODUCER_FENCED reaches only clients that know it (InitProducerId v4+, the others v2+).
    static func fencedError(_ code: KafkaErrorCode, modern: Bool) -> KafkaErrorCode {
        code == .producerFenced && !modern ? .invalidProducerEpoch : code
    }
}

/// AddPartitionsToTxn (24), versions 0-3. Partitions of unknown topics fail with UNKNOWN_TOPIC_OR_PARTITION and the
/// others, then, with OPERATION_NOT_ATTEMPTED (Kafka's rule); otherwise every partition carries the coordinator's one
/// answer.
enum AddPartitionsToTxnHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AddPartitionsToTxnRequest.self) { request, context in
            let requested = request.v3AndBelowTopics.flatMap { topic in
                topic.partitions.map { TopicPartition(topic.name, $0) }
            }
            let authorizer = services.authorizer
            let writable = authorizer.authorizedNames(context, .write, .topic, request.v3AndBelowTopics.map(\.name))
            let denied = Set(requested.filter { !writable.contains($0.topic) })
            let unknown = Set(requested.filter { services.metadataCache.partition($0) == nil })
            var errors: [TopicPartition: KafkaErrorCode] = [:]
            if !authorizer.authorize(context, .write, .transactionalID, request.v3AndBelowTransactionalID) {
                for partition in requested { errors[partition] = .transactionalIDAuthorizationFailed }
            } else if !denied.isEmpty || !unknown.isEmpty {
                for partition in requested {
                    errors[partition] =
                        denied.contains(partition)
                        ? .topicAuthorizationFailed
                        : unknown.contains(partition) ? .unknownTopicOrPartition : .operationNotAttempted
                }
            } else {
                let answer = await services.transactionTopic.coordinator.addPartitions(
                    transactionalID: request.v3AndBelowTransactionalID,
                    producerID: request.v3AndBelowProducerID,
                    producerEpoch: request.v3AndBelowProducerEpoch,
                    partitions: Set(requested)
                )
                let code = TransactionHandlers.fencedError(answer, modern: context.apiVersion >= 2)
                for partition in requested { errors[partition] = code }
            }
            var response = AddPartitionsToTxnResponse()
            response.resultsByTopicV3AndBelow = request.v3AndBelowTopics.map { topic in
                .init(
                    name: topic.name,
                    resultsByPartition: topic.partitions.map { index in
                        .init(
                            partitionIndex: index,
                            partitionErrorCode: errors[TopicPartition(topic.name, index)] ?? .none
                        )
                    }
                )
            }
            return response
        }
    }
}

/// AddOffsetsToTxn (25), versions 0-3: the group's `__consumer_offsets` partition joins the transaction, so that
/// the offsets the producer then sends with TxnOffsetCommit commit or abort with it.
enum AddOffsetsToTxnHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AddOffsetsToTxnRequest.self) { request, context in
            guard services.authorizer.authorize(context, .write, .transactionalID, request.transactionalID) else {
                return AddOffsetsToTxnResponse(errorCode: .transactionalIDAuthorizationFailed)
            }
            guard services.authorizer.authorize(context, .read, .group, request.groupID) else {
                return AddOffsetsToTxnResponse(errorCode: .groupAuthorizationFailed)
            }
            let answer = await services.transactionTopic.coordinator.addPartitions(
                transactionalID: request.transactionalID,
                producerID: request.producerID,
                producerEpoch: request.producerEpoch,
                partitions: [services.offsetsTopic.partition(for: request.groupID)]
            )
            return AddOffsetsToTxnResponse(
                errorCode: TransactionHandlers.fencedError(answer, modern: context.apiVersion >= 2)
            )
        }
    }
}

/// EndTxn (26), versions 0-3: commit or abort, answered once PrepareCommit/PrepareAbort is logged (the markers
/// follow).
enum EndTxnHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(EndTxnRequest.self) { request, context in
            guard services.authorizer.authorize(context, .write, .transactionalID, request.transactionalID) else {
                return EndTxnResponse(errorCode: .transactionalIDAuthorizationFailed)
            }
            let answer = await services.transactionTopic.coordinator.endTransaction(
                transactionalID: request.transactionalID,
                producerID: request.producerID,
                producerEpoch: request.producerEpoch,
                commit: request.committed
            )
            return EndTxnResponse(errorCode: TransactionHandlers.fencedError(answer, modern: context.apiVersion >= 2))
        }
    }
}
