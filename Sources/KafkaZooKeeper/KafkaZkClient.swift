public import KafkaCore
public import Logging
public import ZooKeeper

/// Kafka's operations on its ZooKeeper tree (the equivalent of Kafka's `KafkaZkClient`), in Kafka 2.8's layout.
///
/// Every write the controller makes goes through a `multi` that first checks `/controller_epoch`'s version
/// (`controllerEpochZkVersion`), so a controller that has been replaced cannot change anything. Stateless apart
/// from the ZooKeeper client it wraps; any task may use it.
public final class KafkaZkClient: Sendable {
    public let zookeeper: any ZooKeeperOperations
    let clock: any KafkaClock
    let logger: Logger

    public init(zookeeper: any ZooKeeperOperations, clock: any KafkaClock = SystemClock(), logger: Logger) {
        self.zookeeper = zookeeper
        self.clock = clock
        self.logger = logger
    }

    /// Why a Kafka-level ZooKeeper operation did not happen.
    public enum Failure: Error, Sendable, Equatable {
        /// Another broker is the controller (or the epoch moved under this one).
        case controllerMoved(current: BrokerID?)
        case topicAlreadyExists(String)
        /// A broker with this id is registered by another session.
        case brokerIDInUse(BrokerID)
    }

    // MARK: Cluster setup

    /// Creates the chroot of `connectString` when it has one and it is missing (Kafka does this before it connects
    /// with the chroot).
    public static func ensureChroot(_ configuration: ZooKeeperConfiguration) async throws {
        guard let chroot = configuration.chroot else { return }
        var rootConfiguration = configuration
        rootConfiguration.connectString = configuration.servers
        let root = ZooKeeperClient(configuration: rootConfiguration)
        do {
            try await root.connect()
            try await root.createRecursively(chroot)
            await root.close()
        } catch {
            await root.close()
            throw error
        }
    }

    /// Creates the persistent paths a 2.8 broker creates at startup.
    public func createPersistentPaths() async throws {
        for path in ZkPaths.persistentPaths { try await zookeeper.createRecursively(path) }
    }

    /// The cluster id, created (from `proposed`) by whichever broker gets there first.
    public func getOrCreateClusterID(proposed: String) async throws -> String {
        if let existing = try await exists(ZkPaths.clusterID) {
            return try ClusterIDZNode.decode(existing)
        }
        do {
            try await zookeeper.createRecursively("/cluster")
            try await zookeeper.create(ZkPaths.clusterID, data: ClusterIDZNode.encode(proposed))
            return proposed
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            return try ClusterIDZNode.decode(try await zookeeper.getData(ZkPaths.clusterID).data)
        }
    }

    /// A new broker id from `/brokers/seqid`: its data version after a write, plus `reserved.broker.max.id` (1000).
    public func generateBrokerSequenceID(reservedMaxID: Int32 = 1000) async throws -> BrokerID {
        try await zookeeper.createRecursively(ZkPaths.brokerSequenceID)
        let stat = try await zookeeper.setData(ZkPaths.brokerSequenceID, data: [])
        return stat.version + reservedMaxID
    }

    private func exists(_ path: String) async throws -> [UInt8]?? {
        do {
            return .some(try await zookeeper.getData(path).data)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    // MARK: Brokers

    /// Registers the broker (ephemeral) and returns its broker epoch (the znode's czxid). A registration left by
    /// this same session is kept; one held by another session means the id is in use.
    @discardableResult
    public func registerBroker(_ registration: BrokerRegistration) async throws -> Int64 {
        do {
            try await zookeeper.create(registration.path, data: registration.encode(), mode: .ephemeral)
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            let stat = try await zookeeper.exists(registration.path)
            guard let stat, stat.ephemeralOwner == zookeeper.sessionID else {
                throw Failure.brokerIDInUse(registration.id)
            }
            return stat.czxid
        }
        guard let stat = try await zookeeper.exists(registration.path) else { throw ZooKeeperError(.noNode) }
        logger.info("Registered broker", metadata: ["path": "\(registration.path)", "brokerEpoch": "\(stat.czxid)"])
        return stat.czxid
    }

    /// Every registered broker, with its epoch.
    public func getAllBrokers(watch: Bool = false) async throws -> [BrokerRegistration] {
        var brokers: [BrokerRegistration] = []
        for child in try await zookeeper.children(ZkPaths.brokerIDs, watch: watch) {
            guard let id = Int32(child) else { continue }
            do {
                let (data, stat) = try await zookeeper.getData(ZkPaths.broker(id))
                brokers.append(try BrokerRegistration.decode(id: id, data, epoch: stat.czxid))
            } catch let error as ZooKeeperError where error.code == .noNode {
                continue  // went away between the two reads
            }
        }
        return brokers.sorted { $0.id < $1.id }
    }

    // MARK: Controller

    /// Tries to become the controller: creates `/controller` and raises `/controller_epoch` in one multi that is
    /// conditional on the epoch's version (Kafka's `registerControllerAndIncrementControllerEpoch`). Returns the
    /// new epoch and the epoch znode's version (the fence for every later write); throws `controllerMoved`
    /// when another broker won.
    public func registerControllerAndIncrementEpoch(
        brokerID: BrokerID
    ) async throws
        -> (epoch: ControllerEpoch, epochZkVersion: Int32)
    {
        if try await zookeeper.exists(ZkPaths.controllerEpoch) == nil {
            do {
                try await zookeeper.create(ZkPaths.controllerEpoch, data: ControllerZNode.encodeEpoch(0))
            } catch let error as ZooKeeperError where error.code == .nodeExists {}
        }
        let (data, stat) = try await zookeeper.getData(ZkPaths.controllerEpoch)
        let epoch = try ControllerZNode.decodeEpoch(data) + 1
        do {
            let results = try await zookeeper.multi([
                .create(
                    path: ZkPaths.controller,
                    data: ControllerZNode.encode(brokerID: brokerID, timestamp: clock.milliseconds),
                    mode: .ephemeral
                ),
                .setData(
                    path: ZkPaths.controllerEpoch,
                    data: ControllerZNode.encodeEpoch(epoch),
                    version: stat.version
                ),
            ])
            guard case .dataSet(let newStat) = results[1] else { throw ZooKeeperError(.marshallingError) }
            return (epoch, newStat.version)
        } catch let error as ZooKeeperError where error.code == .nodeExists || error.code == .badVersion {
            throw Failure.controllerMoved(current: try await getControllerID())
        }
    }

    /// The current controller's id, or nil when there is none. With `watch`, its creation or deletion fires.
    public func getControllerID(watch: Bool = false) async throws -> BrokerID? {
        guard try await zookeeper.exists(ZkPaths.controller, watch: watch) != nil else { return nil }
        do {
            return try ControllerZNode.decode(try await zookeeper.getData(ZkPaths.controller, watch: watch).data)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The controller epoch and its znode's version, or nil before any controller.
    public func getControllerEpoch() async throws -> (epoch: ControllerEpoch, zkVersion: Int32)? {
        guard let found = try await exists(ZkPaths.controllerEpoch) else { return nil }
        let stat = try await zookeeper.exists(ZkPaths.controllerEpoch)
        return (try ControllerZNode.decodeEpoch(found), stat?.version ?? 0)
    }

    /// Runs `operations` only if `/controller_epoch` still has `epochZkVersion`: the fence on controller writes.
    @discardableResult
    public func fencedMulti(
        _ operations: [ZooKeeperOperation],
        epochZkVersion: Int32
    ) async throws
        -> [ZooKeeperOperationResult]
    {
        do {
            return Array(
                try await zookeeper.multi([.check(path: ZkPaths.controllerEpoch, version: epochZkVersion)] + operations)
                    .dropFirst()
            )
        } catch let error as ZooKeeperError where error.failedOperationIndex == 0 {
            throw Failure.controllerMoved(current: try await getControllerID())
        }
    }

    // MARK: Topics

    public func getAllTopics(watch: Bool = false) async throws -> [String] {
        try await zookeeper.children(ZkPaths.brokerTopics, watch: watch).sorted()
    }

    public func getTopicAssignment(_ topic: String, watch: Bool = false) async throws -> TopicAssignment? {
        do {
            return try TopicAssignment.decode(
                topic: topic,
                try await zookeeper.getData(ZkPaths.topic(topic), watch: watch).data
            )
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Creates a topic as Kafka's `AdminZkClient` does: `/config/topics/<t>` first, then `/brokers/topics/<t>`
    /// (whose appearance the controller watches for).
    public func createTopic(_ assignment: TopicAssignment, config: [String: String]) async throws {
        if try await zookeeper.exists(ZkPaths.topic(assignment.topic)) != nil {
            throw Failure.topicAlreadyExists(assignment.topic)
        }
        let configPath = ZkPaths.config("topics", assignment.topic)
        do {
            try await zookeeper.create(configPath, data: ConfigZNode.encode(config))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            try await zookeeper.setData(configPath, data: ConfigZNode.encode(config))
        }
        do {
            try await zookeeper.create(assignment.path, data: assignment.encode())
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            throw Failure.topicAlreadyExists(assignment.topic)
        }
    }

    /// Rewrites a topic's assignment (new partitions).
    public func setTopicAssignment(_ assignment: TopicAssignment) async throws {
        try await zookeeper.setData(assignment.path, data: assignment.encode())
    }

    public func getPartitionState(_ partition: TopicPartition) async throws -> LeaderAndIsr? {
        let path = ZkPaths.partitionState(partition.topic, partition.partition)
        do {
            let (data, stat) = try await zookeeper.getData(path)
            return try LeaderAndIsr.decode(data, path: path, zkVersion: stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Creates the partitions' `partitions/<n>/state` znodes (fenced), returning each state with its zkVersion.
    public func createPartitionStates(
        _ states: [TopicPartition: LeaderAndIsr],
        epochZkVersion: Int32
    ) async throws -> [TopicPartition: LeaderAndIsr] {
        var created: [TopicPartition: LeaderAndIsr] = [:]
        for (partition, state) in states.sorted(by: { $0.key < $1.key }) {
            try await zookeeper.createRecursively(ZkPaths.partition(partition.topic, partition.partition))
            try await fencedMulti(
                [
                    .create(
                        path: ZkPaths.partitionState(partition.topic, partition.partition),
                        data: state.encode(),
                        mode: .persistent
                    )
                ],
                epochZkVersion: epochZkVersion
            )
            var stored = state
            stored.zkVersion = 0
            created[partition] = stored
        }
        return created
    }

    /// Writes a partition's new leader and ISR if the znode still has `state.zkVersion` (fenced when
    /// `epochZkVersion` is given: the controller's writes; a leader's own ISR writes pass nil). Returns the new
    /// zkVersion, or nil when the znode changed since it was read.
    public func updateLeaderAndIsr(
        _ partition: TopicPartition,
        _ state: LeaderAndIsr,
        epochZkVersion: Int32?
    ) async throws -> Int32? {
        let path = ZkPaths.partitionState(partition.topic, partition.partition)
        do {
            if let epochZkVersion {
                let results = try await fencedMulti(
                    [.setData(path: path, data: state.encode(), version: state.zkVersion)],
                    epochZkVersion: epochZkVersion
                )
                guard case .dataSet(let stat) = results.first else { return nil }
                return stat.version
            }
            return try await zookeeper.setData(path, data: state.encode(), version: state.zkVersion).version
        } catch let error as ZooKeeperError where error.code == .badVersion {
            return nil
        }
    }

    // MARK: Admin requests

    /// The partitions of `/admin/preferred_replica_election`, or nil when there is no request. Watches for the
    /// next request either way.
    public func getPreferredReplicaElection(watch: Bool) async throws -> [TopicPartition]? {
        try await readAdminRequest(ZkPaths.preferredReplicaElection, watch: watch)?.map(\.0)
    }

    /// The reassignments of `/admin/reassign_partitions`, or nil when there is none (watching either way).
    public func getPartitionReassignment(watch: Bool) async throws -> [TopicPartition: [BrokerID]]? {
        guard let entries = try await readAdminRequest(ZkPaths.reassignPartitions, watch: watch) else { return nil }
        return Dictionary(entries, uniquingKeysWith: { _, last in last })
    }

    /// Rewrites `/admin/reassign_partitions` with what is still to do, deleting it when nothing is (fenced).
    public func setPartitionReassignment(_ remaining: [TopicPartition: [BrokerID]], epochZkVersion: Int32) async throws
    {
        let path = ZkPaths.reassignPartitions
        guard try await zookeeper.exists(path) != nil else { return }
        if remaining.isEmpty {
            try await fencedMulti([.delete(path: path, version: nil)], epochZkVersion: epochZkVersion)
        } else {
            try await fencedMulti(
                [.setData(path: path, data: AdminZNodes.encodeReassignment(remaining), version: nil)],
                epochZkVersion: epochZkVersion
            )
        }
    }

    public func deletePreferredReplicaElection(epochZkVersion: Int32) async throws {
        guard try await zookeeper.exists(ZkPaths.preferredReplicaElection) != nil else { return }
        try await fencedMulti(
            [.delete(path: ZkPaths.preferredReplicaElection, version: nil)],
            epochZkVersion: epochZkVersion
        )
    }

    private func readAdminRequest(_ path: String, watch: Bool) async throws -> [(TopicPartition, [BrokerID])]? {
        do {
            let (data, _) = try await zookeeper.getData(path, watch: watch)
            do {
                return try AdminZNodes.decode(data, path: path)
            } catch {
                logger.error("Ignoring a malformed admin request: \(error)")
                return []
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            // Watch for its creation (a race with a creation in between is caught by the exists call).
            if watch, try await zookeeper.exists(path, watch: true) != nil {
                return try await readAdminRequest(path, watch: watch)
            }
            return nil
        }
    }

    /// Rewrites a topic's assignment as the controller (fenced on its epoch).
    public func setTopicAssignment(_ assignment: TopicAssignment, epochZkVersion: Int32) async throws {
        try await fencedMulti(
            [.setData(path: assignment.path, data: assignment.encode(), version: nil)],
            epochZkVersion: epochZkVersion
        )
    }

    // MARK: ISR changes

    /// Announces partitions whose ISR this leader changed (the controller spreads them with UpdateMetadata).
    public func propagateIsrChanges(_ partitions: [TopicPartition]) async throws {
        try await zookeeper.create(
            IsrChangeNotification.prefix,
            data: IsrChangeNotification.encode(partitions),
            mode: .persistentSequential
        )
    }

    /// Reads and deletes every ISR change notification (watching for the next ones), returning their partitions.
    public func takeIsrChangeNotifications(watch: Bool) async throws -> Set<TopicPartition> {
        var changed: Set<TopicPartition> = []
        for child in try await zookeeper.children(ZkPaths.isrChangeNotification, watch: watch)
        where child.hasPrefix("isr_change_") {
            let path = "\(ZkPaths.isrChangeNotification)/\(child)"
            do {
                let (data, _) = try await zookeeper.getData(path)
                changed.formUnion((try? IsrChangeNotification.decode(data, path: path)) ?? [])
                try await zookeeper.delete(path)
            } catch let error as ZooKeeperError where error.code == .noNode {}
        }
        return changed
    }

    // MARK: Configs

    public func getEntityConfig(type: String, name: String) async throws -> [String: String] {
        let path = ZkPaths.config(type, name)
        do {
            return try ConfigZNode.decode(try await zookeeper.getData(path).data, path: path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return [:]
        }
    }

    /// Replaces an entity's config and announces the change (`/config/changes/config_change_<seq>`).
    public func setEntityConfig(type: String, name: String, config: [String: String]) async throws {
        let path = ZkPaths.config(type, name)
        do {
            try await zookeeper.setData(path, data: ConfigZNode.encode(config))
        } catch let error as ZooKeeperError where error.code == .noNode {
            try await zookeeper.createRecursively(path, data: ConfigZNode.encode(config))
        }
        try await zookeeper.create(
            ConfigZNode.changeNotificationPrefix,
            data: ConfigZNode.encodeChangeNotification(entityType: type, name: name),
            mode: .persistentSequential
        )
    }

    // MARK: Topic deletion

    /// Asks the controller to delete a topic (`/admin/delete_topics/<t>`).
    public func requestTopicDeletion(_ topic: String) async throws {
        do {
            try await zookeeper.create(ZkPaths.deleteTopic(topic))
        } catch let error as ZooKeeperError where error.code == .nodeExists {}
    }

    public func getTopicDeletionRequests(watch: Bool = false) async throws -> [String] {
        try await zookeeper.children(ZkPaths.deleteTopics, watch: watch).sorted()
    }

    /// Removes a deleted topic's znodes in Kafka's order: assignment (recursively), config, then the request.
    public func deleteTopicZNodes(_ topic: String, epochZkVersion: Int32) async throws {
        try await deleteRecursively(ZkPaths.topic(topic))
        try await deleteIfPresent(ZkPaths.config("topics", topic))
        try await deleteIfPresent(ZkPaths.deleteTopic(topic))
    }

    public func deleteRecursively(_ path: String) async throws {
        let children: [String]
        do {
            children = try await zookeeper.children(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
        for child in children { try await deleteRecursively("\(path)/\(child)") }
        try await deleteIfPresent(path)
    }

    private func deleteIfPresent(_ path: String) async throws {
        do {
            try await zookeeper.delete(path)
        } catch let error as ZooKeeperError where error.code == .noNode {}
    }

    // MARK: Producer ids

    /// Claims the next block of 1000 producer ids with a conditional write (`ProducerIdManager`).
    public func allocateProducerIDBlock(brokerID: BrokerID) async throws -> ProducerIDBlock {
        while true {
            var current: ProducerIDBlock?
            var version: Int32?
            do {
                let (data, stat) = try await zookeeper.getData(ZkPaths.latestProducerIDBlock)
                version = stat.version
                if let data, !data.isEmpty { current = try ProducerIDBlock.decode(data) }
            } catch let error as ZooKeeperError where error.code == .noNode {
                try await zookeeper.createRecursively(ZkPaths.latestProducerIDBlock)
                continue
            }
            let start = (current?.end ?? -1) + 1
            let block = ProducerIDBlock(brokerID: brokerID, start: start, end: start + ProducerIDBlock.size - 1)
            do {
                try await zookeeper.setData(ZkPaths.latestProducerIDBlock, data: block.encode(), version: version)
                return block
            } catch let error as ZooKeeperError where error.code == .badVersion {
                continue  // another broker claimed a block first
            }
        }
    }

    // MARK: Consumer offsets in ZooKeeper

    /// `/consumers/<group>/offsets/<topic>/<partition>` as an ASCII decimal (OffsetCommit v0, the old consumer).
    public func setConsumerOffset(group: String, partition: TopicPartition, offset: Int64) async throws {
        let path = ZkPaths.consumerOffset(group: group, topic: partition.topic, partition: partition.partition)
        let data = Array(String(offset).utf8)
        do {
            try await zookeeper.setData(path, data: data)
        } catch let error as ZooKeeperError where error.code == .noNode {
            try await zookeeper.createRecursively(path, data: data)
            // A concurrent commit may have created the node first (createRecursively then leaves its data): write
            // again so this offset is there.
            try await zookeeper.setData(path, data: data)
        }
    }

    public func getConsumerOffset(group: String, partition: TopicPartition) async throws -> Int64? {
        let path = ZkPaths.consumerOffset(group: group, topic: partition.topic, partition: partition.partition)
        guard let data = try await exists(path), let bytes = data else { return nil }
        return Int64(String(decoding: bytes, as: UTF8.self))
    }
}
