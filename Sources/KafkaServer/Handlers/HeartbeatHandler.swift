import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// Heartbeat (12): keeps a member alive; REBALANCE_IN_PROGRESS tells it to join again.
enum HeartbeatHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(HeartbeatRequest.self) { request, context in
            if let error = GroupHandlers.checkMember(request.groupID, services, context) {
                return HeartbeatResponse(errorCode: error)
            }
            let error = await services.groupCoordinator.heartbeat(
                groupID: request.groupID,
                generationID: request.generationID,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID
            )
            return HeartbeatResponse(errorCode: error)
        }
    }
}
