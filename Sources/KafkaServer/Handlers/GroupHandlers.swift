import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// What the consumer-group API handlers (`JoinGroupHandler`, `SyncGroupHandler`, ... `OffsetDeleteHandler`, one file
/// each) share. They are served by the group's coordinator (the leader of its `__consumer_offsets` partition):
/// OffsetCommit and OffsetFetch v0 use ZooKeeper in either offsets.storage mode, as in Kafka. Any other broker answers NOT_COORDINATOR,
/// which sends the client back to FindCoordinator.
enum GroupHandlers {
    /// For the membership APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup): GROUP_AUTHORIZATION_FAILED without
    /// Group:Read, then as `check`.
    static func checkMember(_ group: String, _ services: BrokerServices, _ context: RequestContext) -> KafkaErrorCode? {
        guard services.authorizer.authorize(context, .read, .group, group) else { return .groupAuthorizationFailed }
        return check(group, services)
    }

    /// Nil when this broker coordinates `group`, else the error to answer with.
    static func check(_ group: String, _ services: BrokerServices) -> KafkaErrorCode? {
        guard !group.isEmpty else { return .invalidGroupID }
        return services.offsetsTopic.coordinatorError(for: group, replicaManager: services.replicaManager)
    }
}
