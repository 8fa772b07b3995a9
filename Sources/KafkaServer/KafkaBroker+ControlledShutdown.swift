import KafkaClient
import KafkaController
import KafkaCore
import KafkaProtocol
import KafkaZooKeeper
import Logging
import NIOPosix

extension KafkaBroker {
    /// Kafka's controlled shutdown: asks the controller to move this broker's leaderships to other in-sync
    /// replicas (and take it out of every ISR) before it stops, so that producers and consumers move on without
    /// waiting for its session to expire. Retried `controlled.shutdown.max.retries` times while partitions remain.
    func controlledShutdown(
        brokerID: BrokerID,
        zk: KafkaZkClient,
        controller: Controller,
        listenerName: String,
        group: MultiThreadedEventLoopGroup,
        logger: Logger
    ) async {
        for attempt in 1...max(config.controlledShutdownMaxRetries, 1) {
            do {
                let brokers = try await zk.getAllBrokers()
                let epoch = brokers.first { $0.id == brokerID }?.epoch ?? -1
                guard let controllerID = try await zk.getControllerID() else {
                    throw ControlledShutdownFailure.noController
                }
                let code: KafkaErrorCode
                let remaining: Int
                if controllerID == brokerID {
                    let result = await controller.controlledShutdown(brokerID: brokerID, brokerEpoch: epoch)
                    (code, remaining) = (result.errorCode, result.remaining.count)
                } else {
                    guard
                        let address = brokers.first(where: { $0.id == controllerID })?
                            .address(listenerName: listenerName)
                    else { throw ControlledShutdownFailure.noController }
                    let connection = try await KafkaConnection.connect(
                        to: address,
                        clientID: "broker-\(brokerID)-shutdown",
                        group: group
                    )
                    defer { connection.close() }
                    let response = try await connection.send(
                        ControlledShutdownRequest(brokerID: brokerID, brokerEpoch: epoch),
                        version: 3
                    )
                    (code, remaining) = (response.errorCode, response.remainingPartitions.count)
                }
                if code == .none && remaining == 0 {
                    logger.info("Controlled shutdown succeeded")
                    return
                }
                logger.warning(
                    "Controlled shutdown incomplete",
                    metadata: ["attempt": "\(attempt)", "error": "\(code)", "remainingPartitions": "\(remaining)"]
                )
            } catch {
                logger.warning("Controlled shutdown attempt \(attempt) failed: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(config.controlledShutdownRetryBackoffMs))
        }
        logger.warning("Controlled shutdown gave up; stopping anyway")
    }

    enum ControlledShutdownFailure: Error { case noController }
}
