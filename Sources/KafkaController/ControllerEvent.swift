public import KafkaCore
import KafkaZooKeeper
public import ZooKeeper

/// What the controller works on, one event at a time, in arrival order (Kafka's `ControllerEvent`s, consumed by
/// its `ControllerEventManager` thread): ZooKeeper watches, the broker's own session changes, the leader-rebalance
/// timer and the admin requests that need the controller's state. Each runs to its end (ZooKeeper writes and
/// requests queued to brokers included) before the next starts, so no event sees another half done.
public enum ControllerEvent: Sendable, Equatable, CustomStringConvertible {
    /// Contend for `/controller`: at startup, when the znode changed or went, after a new session.
    case elect
    /// This broker's ZooKeeper session expired: stop acting at once.
    case sessionExpired
    /// `/brokers/ids` changed: brokers came, went or re-registered.
    case brokerChange
    /// `/brokers/topics` changed: new topics.
    case topicChange
    /// A topic znode changed: CreatePartitions added partitions.
    case partitionModification(topic: String)
    /// `/admin/delete_topics` changed.
    case topicDeletion
    /// A broker answered StopReplica(delete) for a topic being deleted: `deleted` are gone, `failed` were refused.
    case topicDeletionStopReplicaResponse(broker: BrokerID, deleted: [TopicPartition], failed: [TopicPartition])
    /// `/isr_change_notification` changed: leaders changed ISRs.
    case isrChangeNotification
    /// `/admin/preferred_replica_election` was written.
    case preferredReplicaElection
    /// `/admin/reassign_partitions` was written.
    case partitionReassignment
    /// The `auto.leader.rebalance.enable` timer.
    case autoLeaderRebalance(thresholdPercent: Int)
    /// ElectLeaders from a client (answered with `Outcome.elections`).
    case electLeaders(Controller.ElectionType, partitions: [TopicPartition]?)
    /// ControlledShutdown from a broker (answered with `Outcome.controlledShutdown`).
    case controlledShutdown(brokerID: BrokerID, brokerEpoch: Int64)
    /// AlterPartitionReassignments: a target per partition, nil to cancel (KIP-455).
    case alterPartitionReassignments([TopicPartition: [BrokerID]?])
    /// ListPartitionReassignments: those in progress among the partitions, all when nil.
    case listPartitionReassignments([TopicPartition]?)
    /// The broker is stopping: resign, and the loop ends after this event.
    case shutdown

    /// What an event produced, for the caller awaiting it.
    public enum Outcome: Sendable, Equatable {
        case processed
        /// The loop had stopped: the event was not processed.
        case notRunning
        /// Per partition, or nil when this broker is not the active controller.
        case elections([TopicPartition: KafkaErrorCode]?)
        case controlledShutdown(KafkaErrorCode, remaining: [TopicPartition])
        case reassignments([TopicPartition: Controller.ReassignmentResult]?)
        case ongoingReassignments([TopicPartition: Controller.OngoingReassignment]?)
    }

    /// The event a ZooKeeper watch firing means for the controller, or nil when the path is not the controller's.
    public init?(watch: WatchEvent) {
        switch watch.path {
        case ZkPaths.controller: self = .elect
        case ZkPaths.brokerIDs: self = .brokerChange
        case ZkPaths.brokerTopics: self = .topicChange
        case ZkPaths.deleteTopics: self = .topicDeletion
        case ZkPaths.isrChangeNotification: self = .isrChangeNotification
        case ZkPaths.preferredReplicaElection: self = .preferredReplicaElection
        case ZkPaths.reassignPartitions: self = .partitionReassignment
        case let path where path.hasPrefix(ZkPaths.brokerTopics + "/") && watch.kind == .nodeDataChanged:
            let topic = path.dropFirst(ZkPaths.brokerTopics.count + 1)
            guard !topic.contains("/") else { return nil }
            self = .partitionModification(topic: String(topic))
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .elect: "Elect"
        case .sessionExpired: "SessionExpired"
        case .brokerChange: "BrokerChange"
        case .topicChange: "TopicChange"
        case .partitionModification(let topic): "PartitionModifications(\(topic))"
        case .topicDeletion: "TopicDeletion"
        case .topicDeletionStopReplicaResponse(let broker, _, _): "TopicDeletionStopReplicaResponseReceived(\(broker))"
        case .isrChangeNotification: "IsrChangeNotification"
        case .preferredReplicaElection: "PreferredReplicaElection"
        case .partitionReassignment: "PartitionReassignment"
        case .autoLeaderRebalance: "AutoPreferredReplicaLeaderElection"
        case .electLeaders(let type, _): "ReplicaLeaderElection(\(type))"
        case .controlledShutdown(let id, _): "ControlledShutdown(\(id))"
        case .alterPartitionReassignments: "ApiPartitionReassignment"
        case .listPartitionReassignments: "ListPartitionReassignments"
        case .shutdown: "Shutdown"
        }
    }
}
