import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// ListGroups (16): the groups this broker coordinates, with their states (v4+ filtered by state); with
/// an authorizer those the principal may describe (all of them with Cluster:Describe).
enum ListGroupsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ListGroupsRequest.self) { request, context in
            let states = Set(request.statesFilter.map { $0.lowercased() })
            // Cluster:Describe sees every group; otherwise only those the principal may describe, quietly.
            let authorizer = services.authorizer
            let seesAll = authorizer.authorizeCluster(context, .describe, logIfDenied: false)
            let groups = await services.groupCoordinator.listGroups().filter { group in
                (seesAll || authorizer.authorize(context, .describe, .group, group.groupID, logIfDenied: false))
                    && services.offsetsTopic.coordinatorError(
                        for: group.groupID,
                        replicaManager: services.replicaManager
                    )
                        == nil
                    && (states.isEmpty || states.contains(group.state.rawValue.lowercased()))
                    && (request.typesFilter.isEmpty || request.typesFilter.contains { $0.lowercased() == "classic" })
            }
            return ListGroupsResponse(
                errorCode: .none,
                groups: groups.sorted { $0.groupID < $1.groupID }.map {
                    .init(
                        groupID: $0.groupID,
                        protocolType: $0.protocolType,
                        groupState: $0.state.rawValue,
                        groupType: "classic"
                    )
                }
            )
        }
    }
}
