import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// InitProducerId (22), versions 0-4: without a transactional id, a new producer id with epoch 0 for an idempotent
/// producer (blocks of ids claimed in ZooKeeper, `ProducerIDManager`); with one, the transaction coordinator's answer
/// (`TransactionCoordinator.initProducerID`: the id's producer with its next epoch, fencing an older instance).
/// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v4, as in Kafka. With an authorizer: TransactionalId:Write
/// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer Cluster:IdempotentWrite or Write on some topic
/// (CLUSTER_AUTHORIZATION_FAILED).
enum InitProducerIDHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(InitProducerIDRequest.self) { request, context in
            if let transactionalID = request.transactionalID {
                guard services.authorizer.authorize(context, .write, .transactionalID, transactionalID) else {
                    return InitProducerIDResponse(
                        errorCode: .transactionalIDAuthorizationFailed,
                        producerID: -1,
                        producerEpoch: -1
                    )
                }
                let answer = await services.transactionTopic.coordinator.initProducerID(
                    transactionalID: transactionalID,
                    timeoutMs: request.transactionTimeoutMs,
                    expectedProducerID: context.apiVersion >= 3 ? request.producerID : -1,
                    expectedEpoch: context.apiVersion >= 3 ? request.producerEpoch : -1
                )
                return InitProducerIDResponse(
                    errorCode: TransactionHandlers.fencedError(answer.errorCode, modern: context.apiVersion >= 4),
                    producerID: answer.producerID,
                    producerEpoch: answer.producerEpoch
                )
            }
            guard
                services.authorizer.authorizeCluster(context, .idempotentWrite, logIfDenied: false)
                    || services.authorizer.authorizeAny(context, .write, .topic)
            else {
                return InitProducerIDResponse(errorCode: .clusterAuthorizationFailed, producerID: -1, producerEpoch: -1)
            }
            do {
                return InitProducerIDResponse(
                    errorCode: .none,
                    producerID: try await services.producerIDs.nextProducerID(),
                    producerEpoch: 0
                )
            } catch {
                services.logger.error("Cannot allocate a producer id: \(error)")
                return InitProducerIDResponse(
                    errorCode: KafkaErrorCode.unknownServerError,
                    producerID: -1,
                    producerEpoch: -1
                )
            }
        }
    }
}
