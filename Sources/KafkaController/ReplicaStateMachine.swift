import KafkaCore

/// One replica: a partition on one broker (Kafka's `PartitionAndReplica`).
struct PartitionReplica: Hashable, Comparable, Sendable, CustomStringConvertible {
    var partition: TopicPartition
    var broker: BrokerID

    static func < (a: PartitionReplica, b: PartitionReplica) -> Bool {
        (a.partition, a.broker) < (b.partition, b.broker)
    }

    var description: String { "[\(partition), broker \(broker)]" }
}

/// A replica's state as the controller sees it (Kafka's `ReplicaState`s): `new` while its partition is being
/// created or it is being added by a reassignment, `online` on a live broker, `offline` on a dead one (or when it is
/// to be stopped), the three deletion states while StopReplica with deletion runs, and `nonExistent` before
/// creation and after deletion. `deletionIneligible` is also where a failover puts replicas on dead brokers.
enum ReplicaState: String, ControllerState {
    case nonExistent = "NonExistentReplica"
    case new = "NewReplica"
    case online = "OnlineReplica"
    case offline = "OfflineReplica"
    case deletionStarted = "ReplicaDeletionStarted"
    case deletionSuccessful = "ReplicaDeletionSuccessful"
    case deletionIneligible = "ReplicaDeletionIneligible"

    var validPreviousStates: Set<ReplicaState> {
        switch self {
        case .nonExistent: [.deletionSuccessful]
        case .new: [.nonExistent]
        case .online, .offline: [.new, .online, .offline, .deletionIneligible]
        case .deletionStarted: [.offline]
        case .deletionSuccessful: [.deletionStarted]
        case .deletionIneligible: [.offline, .deletionStarted]
        }
    }

    var description: String { rawValue }
}

/// Kafka's replica state machine.
typealias ReplicaStateMachine = StateMachine<PartitionReplica, ReplicaState>
