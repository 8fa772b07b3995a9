/// A consumer group's state, as Kafka's `GroupMetadata` defines them, with the states each may follow.
///
/// - Empty: no members (offsets may remain). From PreparingRebalance (everyone left), or new.
/// - PreparingRebalance: members are (re)joining; joins wait. From Empty, CompletingRebalance, Stable.
/// - CompletingRebalance: the new generation exists; waiting for the leader's assignment in SyncGroup.
///   From PreparingRebalance.
/// - Stable: assignments handed out; heartbeats keep members. From CompletingRebalance.
/// - Dead: the group was deleted. From any state.
public enum GroupState: String, Sendable, Equatable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"

    public var validPreviousStates: Set<GroupState> {
        switch self {
        case .empty: [.preparingRebalance]
        case .preparingRebalance: [.empty, .completingRebalance, .stable]
        case .completingRebalance: [.preparingRebalance]
        case .stable: [.completingRebalance]
        case .dead: [.empty, .preparingRebalance, .completingRebalance, .stable, .dead]
        }
    }
}
