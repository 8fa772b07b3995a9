import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// DescribeGroups (15): state, protocol and members (with their metadata and assignments) of groups coordinated here.
/// With an authorizer each group needs Group:Describe (GROUP_AUTHORIZATION_FAILED).
enum DescribeGroupsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeGroupsRequest.self) { request, context in
            var described: [DescribeGroupsResponse.DescribedGroup] = []
            for groupID in request.groups {
                guard services.authorizer.authorize(context, .describe, .group, groupID) else {
                    described.append(.init(errorCode: .groupAuthorizationFailed, groupID: groupID))
                    continue
                }
                if let error = GroupHandlers.check(groupID, services) {
                    described.append(.init(errorCode: error, groupID: groupID))
                    continue
                }
                guard let summary = await services.groupCoordinator.describe(groupID) else {
                    described.append(.init(errorCode: .none, groupID: groupID, groupState: GroupState.dead.rawValue))
                    continue
                }
                described.append(
                    .init(
                        errorCode: .none,
                        groupID: groupID,
                        groupState: summary.state.rawValue,
                        protocolType: summary.protocolType,
                        protocolData: summary.protocolName,
                        members: summary.members.map {
                            .init(
                                memberID: $0.memberID,
                                groupInstanceID: $0.groupInstanceID,
                                clientID: $0.clientID,
                                clientHost: $0.clientHost,
                                memberMetadata: $0.metadata,
                                memberAssignment: $0.assignment
                            )
                        }
                    )
                )
            }
            return DescribeGroupsResponse(groups: described)
        }
    }
}
