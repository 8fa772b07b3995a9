import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// SyncGroup (14): the leader hands out the assignment; every member waits for its own part.
enum SyncGroupHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(SyncGroupRequest.self) { request, context in
            if let error = GroupHandlers.checkMember(request.groupID, services, context) {
                return SyncGroupResponse(errorCode: error)
            }
            // Syncing waits for the leader's assignment: time a request quota does not charge.
            let result = await RequestWaitClock.parked {
                await services.groupCoordinator.sync(
                    groupID: request.groupID,
                    generationID: request.generationID,
                    memberID: request.memberID,
                    groupInstanceID: request.groupInstanceID,
                    assignments: Dictionary(
                        request.assignments.map { ($0.memberID, $0.assignment) },
                        uniquingKeysWith: { $1 }
                    )
                )
            }
            return SyncGroupResponse(
                errorCode: result.errorCode,
                protocolType: result.protocolType,
                protocolName: result.protocolName,
                assignment: result.assignment
            )
        }
    }
}
