public import KafkaCore
import KafkaProtocol
public import KafkaZooKeeper
public import Logging
public import ZooKeeper

/// The cluster controller: elected through `/controller`, it decides partition leadership and tells brokers.
///
/// Lifecycle: every broker runs one; `elect()` makes it active when it wins `/controller` (raising the epoch) and
/// passive otherwise. Being an actor it is Kafka's single serial event loop: ZooKeeper watch events are handed to
/// `handle(_:)` one at a time and nothing else changes its state. When active it watches `/brokers/ids`,
/// `/brokers/topics`, `/admin/delete_topics`, `/isr_change_notification`, `/admin/preferred_replica_election` and
/// `/admin/reassign_partitions`; every ZooKeeper write it makes is fenced on the epoch znode's version, and a
/// controller that lost its session or its `/controller` stops acting at once (`resign()`).
///
/// New topics get partition states (leader = first live replica, ISR = live replicas). When a broker's
/// registration goes (or comes back with a new epoch: a fast restart), every partition it led gets a new leader
/// from its live ISR and it leaves every ISR (`Controller+Elections.swift`, also ControlledShutdown). Leaders' own
/// ISR changes arrive through `/isr_change_notification` and are spread with UpdateMetadata. Preferred-leader
/// elections and reassignments: `Controller+Admin.swift`. Requests to brokers go through one queue per broker, so
/// a broker that does not answer never stalls the controller.
public actor Controller {
    public let brokerID: BrokerID
    let zk: KafkaZkClient
    let channel: any BrokerChannel
    let logger: Logger
    let uncleanLeaderElectionDefault: Bool
    let queues = BrokerRequestQueues()

    public private(set) var isActive = false
    var epoch: ControllerEpoch = 0
    var epochZkVersion: Int32 = 0
    var liveBrokers: [BrokerID: BrokerRegistration] = [:]
    var shuttingDownBrokers: Set<BrokerID> = []
    var assignments: [String: TopicAssignment] = [:]
    var states: [TopicPartition: LeaderAndIsr] = [:]
    /// Unclean leader elections decided by this broker while controller, since it started (Kafka's
    /// ControllerStats UncleanLeaderElectionsPerSec count).
    var uncleanLeaderElections = 0
    /// Reassignments in progress: partition → target replicas.
    var reassignments: [TopicPartition: [BrokerID]] = [:]

    public init(
        brokerID: BrokerID,
        zk: KafkaZkClient,
        channel: any BrokerChannel,
        uncleanLeaderElectionDefault: Bool = false,
        logger: Logger
    ) {
        self.brokerID = brokerID
        self.zk = zk
        self.channel = channel
        self.uncleanLeaderElectionDefault = uncleanLeaderElectionDefault
        var logger = logger
        logger[metadataKey: "controller"] = "\(brokerID)"
        self.logger = logger
    }

    public var controllerEpoch: ControllerEpoch { epoch }

    /// What the controller's gauges show (Kafka's KafkaController MBeans): whether this broker is the active
    /// controller and, if so, the cluster's topics, partitions, and partitions without a live leader (passive
    /// controllers report zeros, as in Kafka); and the unclean elections it ever decided.
    public var metricsSnapshot:
        (active: Bool, topics: Int, partitions: Int, offlinePartitions: Int, uncleanLeaderElections: Int)
    {
        guard isActive else { return (false, 0, 0, 0, uncleanLeaderElections) }
        let offline = states.values.filter { $0.leader < 0 || liveBrokers[$0.leader] == nil }.count
        return (true, assignments.count, states.count, offline, uncleanLeaderElections)
    }

    /// Contends for `/controller` (watching it either way). On winning, loads the cluster from ZooKeeper and
    /// tells every broker what it leads and what the cluster looks like.
    public func elect() async {
        do {
            if let current = try await zk.getControllerID(watch: true) {
                if current != brokerID { resign() }
                return
            }
            let (newEpoch, version) = try await zk.registerControllerAndIncrementEpoch(brokerID: brokerID)
            epoch = newEpoch
            epochZkVersion = version
            isActive = true
            logger.info("Became the controller", metadata: ["epoch": "\(newEpoch)"])
            try await onFailover()
        } catch KafkaZkClient.Failure.controllerMoved(let current) {
            logger.info(
                "Another broker is the controller",
                metadata: ["current": "\(current.map(String.init) ?? "none")"]
            )
            resign()
            _ = try? await zk.getControllerID(watch: true)
        } catch {
            logger.error("Controller election failed: \(error)")
            resign()
        }
    }

    /// Stops acting as controller (its session ended, or another broker took over).
    public func resign() {
        if isActive { logger.info("Resigned as controller") }
        isActive = false
        liveBrokers = [:]
        shuttingDownBrokers = []
        assignments = [:]
        states = [:]
        reassignments = [:]
        queues.retain(only: [])
    }

    /// A ZooKeeper watch fired.
    public func handle(_ event: WatchEvent) async {
        if event.path == ZkPaths.controller {
            await elect()
            return
        }
        guard isActive else { return }
        do {
            switch event.path {
            case ZkPaths.brokerIDs: try await onBrokerChange()
            case ZkPaths.brokerTopics: try await onTopicChange()
            case ZkPaths.deleteTopics: try await onTopicDeletion()
            case ZkPaths.isrChangeNotification: try await onIsrChange()
            case ZkPaths.preferredReplicaElection: try await onPreferredReplicaElection()
            case ZkPaths.reassignPartitions: try await onPartitionReassignment()
            case let path where path.hasPrefix(ZkPaths.brokerTopics + "/") && event.kind == .nodeDataChanged:
                try await onPartitionModification(String(path.dropFirst(ZkPaths.brokerTopics.count + 1)))
            default: break
            }
        } catch KafkaZkClient.Failure.controllerMoved {
            logger.warning("Fenced: another controller has taken over")
            resign()
        } catch {
            logger.error("Controller event \(event) failed: \(error)")
        }
    }

    // MARK: Events

    private func onFailover() async throws {
        liveBrokers = Dictionary(uniqueKeysWithValues: try await zk.getAllBrokers(watch: true).map { ($0.id, $0) })
        assignments = [:]
        states = [:]
        for topic in try await zk.getAllTopics(watch: true) {
            if let assignment = try await zk.getTopicAssignment(topic, watch: true) { assignments[topic] = assignment }
        }
        for (topic, assignment) in assignments {
            for partition in assignment.partitions.keys {
                let topicPartition = TopicPartition(topic, partition)
                if let state = try await zk.getPartitionState(topicPartition) { states[topicPartition] = state }
            }
        }
        try await createMissingPartitionStates()
        // Brokers that died while no controller was watching: their leaderships move, they leave the ISRs.
        let referenced = Set(states.values.flatMap { $0.isr + [$0.leader] }).filter { $0 >= 0 }
        _ = try await electLeaders(unavailable: referenced.filter { liveBrokers[$0] == nil })
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: Array(states.keys))
        await sendLeaderAndIsr(for: Array(states.keys))
        _ = try await zk.takeIsrChangeNotifications(watch: true)
        _ = try await zk.getTopicDeletionRequests(watch: true)
        try await onTopicDeletion()
        try await onPreferredReplicaElection()
        try await onPartitionReassignment()
    }

    private func onBrokerChange() async throws {
        let current = Dictionary(uniqueKeysWithValues: try await zk.getAllBrokers(watch: true).map { ($0.id, $0) })
        let added = current.values.filter { liveBrokers[$0.id]?.epoch != $0.epoch }
        let removed = liveBrokers.keys.filter { current[$0] == nil }
        // A registration with a new epoch is a broker that restarted before its old session ended: it failed, and
        // starts again.
        let bounced = added.filter { liveBrokers[$0.id] != nil }.map(\.id)
        liveBrokers = current
        shuttingDownBrokers.formIntersection(current.keys)
        queues.retain(only: Set(current.keys))
        guard !added.isEmpty || !removed.isEmpty else { return }
        logger.info(
            "Brokers changed",
            metadata: [
                "added": "\(added.map(\.id).sorted())", "removed": "\(removed.sorted())", "bounced": "\(bounced)",
            ]
        )
        try await createMissingPartitionStates()
        let failed = Set(removed + bounced)
        // Also elects leaders for offline partitions whose ISR member is back.
        let changed = try await electLeaders(unavailable: failed)
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: Array(states.keys))
        await sendLeaderAndIsr(for: Array(changed))
        for broker in added {
            await sendLeaderAndIsr(
                for: states.keys.filter {
                    assignments[$0.topic]?.partitions[$0.partition]?.contains(broker.id) == true
                },
                to: [broker.id]
            )
        }
    }

    /// Leaders' ISR changes: re-read those partitions and tell every broker.
    private func onIsrChange() async throws {
        let changed = try await zk.takeIsrChangeNotifications(watch: true)
        var refreshed: [TopicPartition] = []
        for partition in changed where states[partition] != nil {
            if let state = try await zk.getPartitionState(partition) {
                states[partition] = state
                refreshed.append(partition)
            }
        }
        guard !refreshed.isEmpty else { return }
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: refreshed)
        try await maybeCompleteReassignments()
    }

    private func onTopicChange() async throws {
        let topics = Set(try await zk.getAllTopics(watch: true))
        var newPartitions: [TopicPartition] = []
        for topic in topics where assignments[topic] == nil {
            guard let assignment = try await zk.getTopicAssignment(topic, watch: true) else { continue }
            assignments[topic] = assignment
            newPartitions += assignment.partitions.keys.map { TopicPartition(topic, $0) }
        }
        guard !newPartitions.isEmpty else { return }
        logger.info("New topic partitions", metadata: ["partitions": "\(newPartitions.sorted())"])
        try await createMissingPartitionStates()
        await sendLeaderAndIsr(for: newPartitions)
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: newPartitions)
    }

    /// A topic's assignment changed (CreatePartitions): its new partitions get states and leaders.
    private func onPartitionModification(_ topic: String) async throws {
        guard let old = assignments[topic], let assignment = try await zk.getTopicAssignment(topic, watch: true) else {
            return
        }
        let added = assignment.partitions.keys.filter { old.partitions[$0] == nil }.map { TopicPartition(topic, $0) }
        assignments[topic] = assignment
        guard !added.isEmpty else { return }
        logger.info("New partitions of an existing topic", metadata: ["partitions": "\(added.sorted())"])
        try await createMissingPartitionStates()
        await sendLeaderAndIsr(for: added)
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: added)
    }

    /// Kafka's new-partition rule: leader = first live replica in assignment order, ISR = every live replica,
    /// leader epoch 0. Partitions without a live replica wait for one.
    private func createMissingPartitionStates() async throws {
        var created: [TopicPartition: LeaderAndIsr] = [:]
        for (topic, assignment) in assignments {
            for (partition, replicas) in assignment.partitions {
                let topicPartition = TopicPartition(topic, partition)
                guard states[topicPartition] == nil else { continue }
                let live = replicas.filter { liveBrokers[$0] != nil }
                guard let leader = live.first else { continue }
                created[topicPartition] = LeaderAndIsr(
                    leader: leader,
                    leaderEpoch: 0,
                    isr: live,
                    controllerEpoch: epoch
                )
            }
        }
        guard !created.isEmpty else { return }
        for (partition, state) in try await zk.createPartitionStates(created, epochZkVersion: epochZkVersion) {
            states[partition] = state
        }
    }

    private func onTopicDeletion() async throws {
        let requested = try await zk.getTopicDeletionRequests(watch: true)
        for topic in requested {
            guard let assignment = assignments[topic] else {
                try await zk.deleteTopicZNodes(topic, epochZkVersion: epochZkVersion)
                continue
            }
            let partitions = assignment.partitions.keys.sorted().map { TopicPartition(topic, $0) }
            logger.info("Deleting topic", metadata: ["topic": "\(topic)"])
            // Metadata first (leader -2: being deleted), then every replica drops its log.
            await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: partitions, deleting: true)
            let stop = StopReplicaRequest(
                controllerID: brokerID,
                controllerEpoch: epoch,
                deletePartitions: true,
                topicStates: [
                    .init(
                        topicName: topic,
                        partitionStates: partitions.map {
                            .init(partitionIndex: $0.partition, leaderEpoch: -2, deletePartition: true)
                        }
                    )
                ]
            )
            for broker in liveBrokers.values
            where assignment.partitions.values.contains(where: { $0.contains(broker.id) }) {
                let channel = self.channel
                queues.enqueue(to: broker) { _ = try? await channel.send(stop, to: broker) }
            }
            try await zk.deleteTopicZNodes(topic, epochZkVersion: epochZkVersion)
            assignments.removeValue(forKey: topic)
            for partition in partitions { states.removeValue(forKey: partition) }
        }
    }

    // MARK: Requests to brokers

    func sendLeaderAndIsr(for partitions: [TopicPartition], to only: Set<BrokerID>? = nil) async {
        for broker in liveBrokers.values where only?.contains(broker.id) ?? true {
            let mine = partitions.filter {
                assignments[$0.topic]?.partitions[$0.partition]?.contains(broker.id) == true
            }
            guard !mine.isEmpty else { continue }
            let grouped = Dictionary(grouping: mine, by: \.topic)
            let request = LeaderAndIsrRequest(
                controllerID: brokerID,
                controllerEpoch: epoch,
                brokerEpoch: broker.epoch ?? -1,
                type: 0,
                topicStates: grouped.map { topic, partitions in
                    .init(
                        topicName: topic,
                        topicID: assignments[topic]?.topicID ?? .zero,
                        partitionStates: partitions.compactMap { partition in
                            guard let state = states[partition],
                                let replicas = assignments[topic]?.partitions[partition.partition]
                            else { return nil }
                            return .init(
                                topicName: topic,
                                partitionIndex: partition.partition,
                                controllerEpoch: state.controllerEpoch,
                                leader: state.leader,
                                leaderEpoch: state.leaderEpoch,
                                isr: state.isr,
                                partitionEpoch: state.zkVersion,
                                replicas: replicas,
                                isNew: state.leaderEpoch == 0
                            )
                        }
                    )
                },
                liveLeaders: liveBrokers.values.map { broker in
                    .init(
                        brokerID: broker.id,
                        hostName: broker.endpoints.first?.host ?? "",
                        port: broker.endpoints.first?.port ?? -1
                    )
                }
            )
            let (channel, logger) = (self.channel, self.logger)
            queues.enqueue(to: broker) {
                do {
                    let response = try await channel.send(request, to: broker)
                    if response.errorCode != 0 {
                        logger.warning(
                            "LeaderAndIsr refused",
                            metadata: [
                                "broker": "\(broker.id)", "error": "\(KafkaErrorCode(code: response.errorCode))",
                            ]
                        )
                    }
                } catch {
                    logger.warning("LeaderAndIsr to broker \(broker.id) failed: \(error)")
                }
            }
        }
    }

    func sendUpdateMetadata(
        to brokers: [BrokerRegistration],
        partitions: [TopicPartition],
        deleting: Bool = false
    )
        async
    {
        let grouped = Dictionary(grouping: partitions, by: \.topic)
        let topicStates: [UpdateMetadataRequest.UpdateMetadataTopicState] = grouped.map { topic, partitions in
            .init(
                topicName: topic,
                topicID: assignments[topic]?.topicID ?? .zero,
                partitionStates: partitions.compactMap { partition in
                    guard let replicas = assignments[topic]?.partitions[partition.partition] else { return nil }
                    let state = states[partition]
                    return .init(
                        topicName: topic,
                        partitionIndex: partition.partition,
                        controllerEpoch: epoch,
                        leader: deleting ? -2 : (state?.leader ?? -1),
                        leaderEpoch: state?.leaderEpoch ?? -1,
                        isr: state?.isr ?? [],
                        zkVersion: state?.zkVersion ?? -1,
                        replicas: replicas,
                        offlineReplicas: replicas.filter { liveBrokers[$0] == nil }
                    )
                }
            )
        }
        let live = liveBrokers.values.sorted { $0.id < $1.id }.map { broker in
            UpdateMetadataRequest.UpdateMetadataBroker(
                id: broker.id,
                endpoints: broker.endpoints.map {
                    .init(
                        port: $0.port,
                        host: $0.host,
                        listener: $0.listenerName,
                        securityProtocol: Self.protocolID($0.securityProtocol)
                    )
                },
                rack: broker.rack
            )
        }
        for broker in brokers {
            let request = UpdateMetadataRequest(
                controllerID: brokerID,
                controllerEpoch: epoch,
                brokerEpoch: broker.epoch ?? -1,
                topicStates: topicStates,
                liveBrokers: live
            )
            let (channel, logger) = (self.channel, self.logger)
            queues.enqueue(to: broker) {
                do {
                    _ = try await channel.send(request, to: broker)
                } catch {
                    logger.warning("UpdateMetadata to broker \(broker.id) failed: \(error)")
                }
            }
        }
    }

    static func protocolID(_ name: String) -> Int16 {
        switch name {
        case "SSL": 1
        case "SASL_PLAINTEXT": 2
        case "SASL_SSL": 3
        default: 0
        }
    }
}
