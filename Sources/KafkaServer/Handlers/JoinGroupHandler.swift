import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// JoinGroup (11): a member joins (or rejoins) its group at the coordinator; the answer waits for the rebalance.
/// Member ids are required from v4 (MEMBER_ID_REQUIRED first), static members (`group.instance.id`) from v5.
enum JoinGroupHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(JoinGroupRequest.self) { request, context in
            let noProtocol: String? = context.apiVersion >= 7 ? nil : ""
            if let error = GroupHandlers.checkMember(request.groupID, services, context) {
                return JoinGroupResponse(
                    errorCode: error,
                    protocolName: noProtocol,
                    memberID: request.memberID
                )
            }
            // Joining waits for the rest of the group: time a request quota does not charge.
            let result = await RequestWaitClock.parked {
                await services.groupCoordinator.join(
                    groupID: request.groupID,
                    memberID: request.memberID,
                    groupInstanceID: request.groupInstanceID,
                    clientID: context.header.clientID ?? "",
                    clientHost: context.clientHost,
                    sessionTimeoutMs: request.sessionTimeoutMs,
                    rebalanceTimeoutMs: context.apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
                    protocolType: request.protocolType,
                    protocols: request.protocols.map { (name: $0.name, metadata: $0.metadata) },
                    requireKnownMemberID: context.apiVersion >= 4
                )
            }
            return JoinGroupResponse(
                errorCode: result.errorCode,
                generationID: result.generationID,
                protocolType: result.protocolType,
                protocolName: result.protocolName ?? noProtocol,
                leader: result.leaderID,
                memberID: result.memberID,
                members: result.members.map {
                    .init(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata)
                }
            )
        }
    }
}
