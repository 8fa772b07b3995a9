import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// LeaveGroup (13): members leave at once (v3+ several, by member or instance id) instead of timing out.
enum LeaveGroupHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(LeaveGroupRequest.self) { request, context in
            if let error = GroupHandlers.checkMember(request.groupID, services, context) {
                return LeaveGroupResponse(errorCode: error)
            }
            // v0-2 name one member; v3+ a batch (KIP-345).
            let batched = context.apiVersion >= 3
            let members =
                batched ? request.members.map { ($0.memberID, $0.groupInstanceID) } : [(request.memberID, nil)]
            let results = await services.groupCoordinator.leave(groupID: request.groupID, members: members)
            if !batched { return LeaveGroupResponse(errorCode: results[0]) }
            return LeaveGroupResponse(
                errorCode: .none,
                members: zip(request.members, results).map { member, error in
                    .init(memberID: member.memberID, groupInstanceID: member.groupInstanceID, errorCode: error)
                }
            )
        }
    }
}
