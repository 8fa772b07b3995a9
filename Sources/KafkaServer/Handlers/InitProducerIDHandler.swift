import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// InitProducerId (22), versions 0-4: without a transactional id, a new producer id with epoch 0 for an idempotent
/// producer (blocks of ids claimed in ZooKeeper, `ProducerIDManager`); with one, the transaction coordinator's answer
/// (`TransactionCoordinator.initProducerID`: the id's producer with its next epoch, fencing an older instance).
/// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v4, as in Kafka.
enum InitProducerIDHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(InitProducerIDRequest.self) { request, context in
            if let transactionalID = request.transactionalID {
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
