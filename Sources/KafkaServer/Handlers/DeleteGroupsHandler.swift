import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// DeleteGroups (42): removes empty groups and their offsets (GROUP_NOT_EMPTY while members remain). With an
/// authorizer each group needs Group:Delete (GROUP_AUTHORIZATION_FAILED).
enum DeleteGroupsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DeleteGroupsRequest.self) { request, context in
            var results: [DeleteGroupsResponse.DeletableGroupResult] = []
            for groupID in request.groupsNames {
                guard services.authorizer.authorize(context, .delete, .group, groupID) else {
                    results.append(.init(groupID: groupID, errorCode: .groupAuthorizationFailed))
                    continue
                }
                if let error = GroupHandlers.check(groupID, services) {
                    results.append(.init(groupID: groupID, errorCode: error))
                    continue
                }
                let code = await services.groupCoordinator.deleteGroups([groupID])[groupID] ?? .unknownServerError
                results.append(.init(groupID: groupID, errorCode: code))
            }
            return DeleteGroupsResponse(results: results)
        }
    }
}
