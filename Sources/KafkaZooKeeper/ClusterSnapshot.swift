public import KafkaCore
import ZooKeeper

/// What a ZooKeeper-era Kafka cluster's tree says at one moment, decoded: registered brokers (with their session
/// and broker epoch), the controller and its epoch, every topic's assignment and partition states, config
/// overrides, and the pending admin and notification nodes. Read once by `read(from:)` (not atomically: the tree
/// may change between reads, as for any ZooKeeper reader); `ClusterInvariants` checks it, the inspection tool
/// renders it.
public struct ClusterSnapshot: Sendable {
    public struct Broker: Sendable {
        public var registration: BrokerRegistration
        /// The ZooKeeper session holding the ephemeral registration.
        public var session: Int64

        public init(registration: BrokerRegistration, session: Int64) {
            self.registration = registration
            self.session = session
        }
    }

    public struct Controller: Sendable {
        public var brokerID: BrokerID
        public var session: Int64

        public init(brokerID: BrokerID, session: Int64) {
            self.brokerID = brokerID
            self.session = session
        }
    }

    /// A pending znode and its age (milliseconds since it was last written).
    public struct Pending: Sendable {
        public var path: String
        public var ageMs: Int64

        public init(path: String, ageMs: Int64) {
            self.path = path
            self.ageMs = ageMs
        }
    }

    public var brokers: [Broker] = []
    public var controller: Controller?
    public var controllerEpoch: ControllerEpoch?
    public var topics: [String: TopicAssignment] = [:]
    public var states: [TopicPartition: LeaderAndIsr] = [:]
    public var topicConfigs: [String: [String: String]] = [:]
    public var pending: [Pending] = []

    public init() {}

    public var brokerIDs: Set<BrokerID> { Set(brokers.map(\.registration.id)) }

    public func replicas(of partition: TopicPartition) -> [BrokerID] {
        topics[partition.topic]?.partitions[partition.partition] ?? []
    }

    /// In sync with fewer replicas than assigned.
    public func isUnderReplicated(_ partition: TopicPartition) -> Bool {
        guard let state = states[partition] else { return true }
        return state.isr.count < replicas(of: partition).count
    }

    /// Without a live leader.
    public func isOffline(_ partition: TopicPartition) -> Bool {
        guard let state = states[partition] else { return true }
        return state.leader < 0 || !brokerIDs.contains(state.leader)
    }

    public static func read(from zk: KafkaZkClient, nowMs: Int64) async throws -> ClusterSnapshot {
        let zookeeper = zk.zookeeper
        var snapshot = ClusterSnapshot()
        for child in try await zookeeper.children(ZkPaths.brokerIDs).sorted() {
            guard let id = Int32(child) else { continue }
            guard let (data, stat) = try? await zookeeper.getData(ZkPaths.broker(id)) else { continue }
            snapshot.brokers.append(
                Broker(
                    registration: try BrokerRegistration.decode(id: id, data, epoch: stat.czxid),
                    session: stat.ephemeralOwner
                )
            )
        }
        if let (data, stat) = try? await zookeeper.getData(ZkPaths.controller) {
            snapshot.controller = Controller(brokerID: try ControllerZNode.decode(data), session: stat.ephemeralOwner)
        }
        snapshot.controllerEpoch = try await zk.getControllerEpoch()?.epoch
        for topic in try await zk.getAllTopics() {
            guard let assignment = try await zk.getTopicAssignment(topic) else { continue }
            snapshot.topics[topic] = assignment
            for partition in assignment.partitions.keys {
                let topicPartition = TopicPartition(topic, partition)
                if let state = try await zk.getPartitionState(topicPartition) {
                    snapshot.states[topicPartition] = state
                }
            }
            let config = try await zk.getEntityConfig(type: "topics", name: topic)
            if !config.isEmpty { snapshot.topicConfigs[topic] = config }
        }
        var pendingPaths = [ZkPaths.reassignPartitions, ZkPaths.preferredReplicaElection]
        for parent in [ZkPaths.deleteTopics, ZkPaths.isrChangeNotification] {
            pendingPaths += ((try? await zookeeper.children(parent)) ?? []).sorted().map { "\(parent)/\($0)" }
        }
        for path in pendingPaths {
            if let stat = try await zookeeper.exists(path) {
                snapshot.pending.append(Pending(path: path, ageMs: nowMs - stat.mtime))
            }
        }
        return snapshot
    }
}
