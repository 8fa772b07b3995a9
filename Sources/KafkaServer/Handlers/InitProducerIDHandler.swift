import KafkaCore
import KafkaProtocol

/// InitProducerId (22), versions 0-4: a new producer id with epoch 0 for an idempotent producer. Transactional
/// producers (a transactional id) need the transaction coordinator, which is not built yet: they get
/// COORDINATOR_NOT_AVAILABLE.
enum InitProducerIDHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        let manager = ProducerIDManager(brokerID: services.brokerID, zk: services.zk)
        return TypedHandler(InitProducerIDRequest.self) { request, _ in
            if request.transactionalID != nil {
                return InitProducerIDResponse(
                    errorCode: KafkaErrorCode.coordinatorNotAvailable,
                    producerID: -1,
                    producerEpoch: -1
                )
            }
            do {
                return InitProducerIDResponse(
                    errorCode: .none,
                    producerID: try await manager.nextProducerID(),
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
