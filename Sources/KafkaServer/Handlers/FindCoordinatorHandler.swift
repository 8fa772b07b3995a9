import KafkaCore
import KafkaProtocol

/// FindCoordinator (10), advertised 0-3 (librdkafka 2.0.2 turns on LZ4 and group support only when v0 is
/// advertised; v4+ batches keys). The group coordinator is not built yet (issue 7), so every lookup answers
/// COORDINATOR_NOT_AVAILABLE, which clients retry.
enum FindCoordinatorHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(FindCoordinatorRequest.self, versions: 0...3) { _, _ in
            FindCoordinatorResponse(
                errorCode: KafkaErrorCode.coordinatorNotAvailable.rawValue,
                errorMessage: "The group coordinator is not available yet.",
                nodeID: -1,
                host: "",
                port: -1
            )
        }
    }
}
