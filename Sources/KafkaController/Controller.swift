public import KafkaCore
import KafkaProtocol
public import KafkaZooKeeper
public import Logging
import Synchronization

/// The cluster controller: elected through `/controller`, it decides partition leadership and tells brokers.
///
/// Lifecycle: every broker runs one, `run()` for as long as the broker serves. It is Kafka's single serial event
/// loop: everything that reaches it — ZooKeeper watches (`ControllerEvent(watch:)`), the broker's session
/// changes, the rebalance timer, ElectLeaders and ControlledShutdown requests — is a `ControllerEvent` queued with
/// `enqueue` (or `process`, to await its outcome), and the loop handles one at a time to its end, so no event
/// sees another half done although each awaits ZooKeeper. Nothing else touches its state; `isActive` and
/// `metricsSnapshot` are published copies any task may read.
///
/// `.elect` makes it active when it wins `/controller` (raising the epoch) and passive otherwise. When active it
/// watches `/brokers/ids`, `/brokers/topics`, `/admin/delete_topics`, `/isr_change_notification`,
/// `/admin/preferred_replica_election` and `/admin/reassign_partitions`; every ZooKeeper write it makes is fenced on
/// the epoch znode's version, and a controller that lost its session or its `/controller` stops acting at once
/// (`resign()`).
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
    /// `inter.broker.listener.name`: the endpoint of a leader that LeaderAndIsr gives its followers.
    let interBrokerListener: String?
    let queues = BrokerRequestQueues()
    private let events: AsyncStream<QueuedEvent>.Continuation
    private let queued: AsyncStream<QueuedEvent>
    private let published = Mutex(MetricsSnapshot())

    /// Whether this broker holds `/controller`; published at once (CreateTopics and the other controller-only APIs
    /// are accepted from the moment the election is won, as in Kafka, not only once the failover is done).
    var isActiveNow = false {
        didSet { published.withLock { $0.active = isActiveNow } }
    }
    var epoch: ControllerEpoch = 0
    var epochZkVersion: Int32 = 0
    var liveBrokers: [BrokerID: BrokerRegistration] = [:]
    var shuttingDownBrokers: Set<BrokerID> = []
    var assignments: [String: TopicAssignment] = [:]
    var states: [TopicPartition: LeaderAndIsr] = [:]
    /// Each partition's state (new, online, offline), moved only along Kafka's legal transitions.
    var partitionStates = PartitionStateMachine(kind: "partition")
    /// Each replica's state (new, online, offline, the deletion states), moved only along Kafka's legal transitions.
    var replicaStates = ReplicaStateMachine(kind: "replica")
    /// Unclean leader elections decided by this broker while controller, since it started (Kafka's
    /// ControllerStats UncleanLeaderElectionsPerSec count).
    var uncleanLeaderElections = 0
    /// Reassignments in progress: partition → target replicas.
    var reassignments: [TopicPartition: [BrokerID]] = [:]
    /// Topic deletion (Kafka's `TopicDeletionManager`, `Controller+TopicDeletion.swift`): the topics named in
    /// `/admin/delete_topics`, those whose deletion has begun (metadata told, partitions gone), and those that wait
    /// for a replica's broker to return or a reassignment to finish.
    var topicsToBeDeleted: Set<String> = []
    var topicsWithDeletionStarted: Set<String> = []
    var topicsIneligibleForDeletion: Set<String> = []

    private struct QueuedEvent: Sendable {
        var event: ControllerEvent
        var reply: CheckedContinuation<ControllerEvent.Outcome, Never>?
    }

    public init(
        brokerID: BrokerID,
        zk: KafkaZkClient,
        channel: any BrokerChannel,
        uncleanLeaderElectionDefault: Bool = false,
        interBrokerListener: String? = nil,
        logger: Logger
    ) {
        self.brokerID = brokerID
        self.zk = zk
        self.channel = channel
        self.uncleanLeaderElectionDefault = uncleanLeaderElectionDefault
        self.interBrokerListener = interBrokerListener
        var logger = logger
        logger[metadataKey: "controller"] = "\(brokerID)"
        self.logger = logger
        (queued, events) = AsyncStream.makeStream(of: QueuedEvent.self)
    }

    // MARK: The event queue

    /// Queues `event` without waiting for it.
    public nonisolated func enqueue(_ event: ControllerEvent) {
        events.yield(QueuedEvent(event: event, reply: nil))
    }

    /// Queues `event` and returns its outcome once the loop has handled it (`.notRunning` when the loop has
    /// stopped).
    @discardableResult
    public nonisolated func process(_ event: ControllerEvent) async -> ControllerEvent.Outcome {
        await withCheckedContinuation { reply in
            if case .terminated = events.yield(QueuedEvent(event: event, reply: reply)) {
                reply.resume(returning: .notRunning)
            }
        }
    }

    /// The event loop: handles queued events one at a time until `.shutdown`. Cancelling the calling task queues
    /// `.shutdown` (the loop itself runs in its own task, so a cancellation never cuts an event in half).
    public nonisolated func run() async {
        let loop = Task { await self.loop() }
        await withTaskCancellationHandler {
            await loop.value
        } onCancel: {
            self.enqueue(.shutdown)
        }
    }

    private func loop() async {
        var iterator = queued.makeAsyncIterator()
        while let item = await iterator.next() {
            let outcome = await handle(item.event)
            publishMetrics()
            item.reply?.resume(returning: outcome)
            if item.event == .shutdown { break }
        }
        // Later events are refused; those queued behind `.shutdown` get `.notRunning`.
        events.finish()
        while let item = await iterator.next() { item.reply?.resume(returning: .notRunning) }
    }

    private func handle(_ event: ControllerEvent) async -> ControllerEvent.Outcome {
        switch event {
        case .elect:
            await elect()
            return .processed
        case .sessionExpired, .shutdown:
            resign()
            return .processed
        case .electLeaders(let type, let partitions):
            return .elections(await onElectLeaders(type, partitions: partitions))
        case .controlledShutdown(let id, let brokerEpoch):
            let (code, remaining) = await onControlledShutdown(brokerID: id, brokerEpoch: brokerEpoch)
            return .controlledShutdown(code, remaining: remaining)
        case .autoLeaderRebalance(let thresholdPercent):
            await onAutoLeaderRebalance(thresholdPercent: thresholdPercent)
            return .processed
        case .alterPartitionReassignments(let requested):
            return .reassignments(await onAlterPartitionReassignments(requested))
        case .listPartitionReassignments(let partitions):
            return .ongoingReassignments(onListPartitionReassignments(partitions))
        default:
            guard isActiveNow else { return .processed }
            do {
                switch event {
                case .brokerChange: try await onBrokerChange()
                case .topicChange: try await onTopicChange()
                case .partitionModification(let topic): try await onPartitionModification(topic)
                case .topicDeletion: try await onTopicDeletionRequests()
                case .topicDeletionStopReplicaResponse(let broker, let deleted, let failed):
                    try await onTopicDeletionStopReplicaResponse(broker: broker, deleted: deleted, failed: failed)
                case .isrChangeNotification: try await onIsrChange()
                case .preferredReplicaElection: try await onPreferredReplicaElection()
                case .partitionReassignment: try await onPartitionReassignment()
                default: break
                }
            } catch KafkaZkClient.Failure.controllerMoved {
                logger.warning("Fenced: another controller has taken over")
                resign()
            } catch {
                logger.error("Controller event \(event) failed: \(error)")
            }
            return .processed
        }
    }

    // MARK: What others may read

    /// Whether this broker is the active controller.
    public nonisolated var isActive: Bool { published.withLock(\.active) }

    /// What the controller's gauges show (Kafka's KafkaController MBeans), as of the last event handled: whether
    /// this broker is the active controller and, if so, the cluster's topics, partitions, and partitions without
    /// a live leader (passive controllers report zeros, as in Kafka); and the unclean elections it ever decided.
    public nonisolated var metricsSnapshot: MetricsSnapshot { published.withLock { $0 } }

    public struct MetricsSnapshot: Sendable, Equatable {
        public var active = false
        public var topics = 0
        public var partitions = 0
        public var offlinePartitions = 0
        public var uncleanLeaderElections = 0
    }

    private func publishMetrics() {
        var snapshot = MetricsSnapshot(uncleanLeaderElections: uncleanLeaderElections)
        if isActiveNow {
            snapshot.active = true
            snapshot.topics = assignments.count
            snapshot.partitions = states.count
            snapshot.offlinePartitions = states.values.filter { $0.leader < 0 || liveBrokers[$0.leader] == nil }.count
        }
        published.withLock { $0 = snapshot }
    }

    /// The controller epoch this broker holds (meaningful while active).
    public var controllerEpoch: ControllerEpoch { epoch }

    // MARK: Election

    /// Contends for `/controller` (watching it either way). On winning, loads the cluster from ZooKeeper and
    /// tells every broker what it leads and what the cluster looks like.
    private func elect() async {
        do {
            if let current = try await zk.getControllerID(watch: true) {
                if current != brokerID { resign() }
                return
            }
            let (newEpoch, version) = try await zk.registerControllerAndIncrementEpoch(brokerID: brokerID)
            epoch = newEpoch
            epochZkVersion = version
            isActiveNow = true
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

    /// Stops acting as controller (its session ended, another broker took over, or it is shutting down).
    func resign() {
        if isActiveNow { logger.info("Resigned as controller") }
        isActiveNow = false
        liveBrokers = [:]
        shuttingDownBrokers = []
        assignments = [:]
        states = [:]
        partitionStates.removeAll()
        replicaStates.removeAll()
        reassignments = [:]
        topicsToBeDeleted = []
        topicsWithDeletionStarted = []
        topicsIneligibleForDeletion = []
        queues.retain(only: [])
    }

    // MARK: Events

    private func onFailover() async throws {
        liveBrokers = Dictionary(uniqueKeysWithValues: try await zk.getAllBrokers(watch: true).map { ($0.id, $0) })
        assignments = [:]
        states = [:]
        for topic in try await zk.getAllTopics(watch: true) {
            if let assignment = try await zk.getTopicAssignment(topic, watch: true) { assignments[topic] = assignment }
        }
        // Topics being deleted are not led or announced again: their deletion resumes below.
        let deleting = Set(try await zk.getTopicDeletionRequests(watch: true))
        for (topic, assignment) in assignments where deleting.contains(topic) {
            for partition in assignment.partitions.keys {
                let topicPartition = TopicPartition(topic, partition)
                partitionStates.initialize(topicPartition, .offline)
                for replica in replicas(of: [topicPartition]) {
                    replicaStates.initialize(
                        replica,
                        liveBrokers[replica.broker] != nil ? .offline : .deletionIneligible
                    )
                }
            }
        }
        for (topic, assignment) in assignments where !deleting.contains(topic) {
            for partition in assignment.partitions.keys {
                let topicPartition = TopicPartition(topic, partition)
                if let state = try await zk.getPartitionState(topicPartition) { states[topicPartition] = state }
                let state = states[topicPartition]
                partitionStates.initialize(
                    topicPartition,
                    state == nil ? .new : (state.map { liveBrokers[$0.leader] != nil } == true ? .online : .offline)
                )
                for replica in replicas(of: [topicPartition]) {
                    let live = liveBrokers[replica.broker] != nil
                    replicaStates.initialize(replica, state == nil ? .new : (live ? .online : .deletionIneligible))
                }
            }
        }
        try await createMissingPartitionStates()
        // Brokers that died while no controller was watching: their leaderships move, they leave the ISRs.
        let referenced = Set(states.values.flatMap { $0.isr + [$0.leader] }).filter { $0 >= 0 }
        _ = try await electLeaders(unavailable: referenced.filter { liveBrokers[$0] == nil })
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: Array(states.keys))
        await sendLeaderAndIsr(for: Array(states.keys))
        _ = try await zk.takeIsrChangeNotifications(watch: true)
        try await onTopicDeletionRequests()
        try await onPreferredReplicaElection()
        // Reassignments in progress (started by the API, or by the znode before a failover) are in the topic znodes'
        // adding/removing replicas: resumed toward the full set less the removing ones (Kafka's
        // `initializePartitionReassignments`).
        for (topic, assignment) in assignments {
            for (index, replicas) in assignment.partitions {
                let removing = assignment.removingReplicas[index] ?? []
                guard !removing.isEmpty || !(assignment.addingReplicas[index] ?? []).isEmpty else { continue }
                reassignments[TopicPartition(topic, index)] = replicas.filter { !removing.contains($0) }
            }
        }
        try await onPartitionReassignment()
        try await maybeCompleteReassignments()
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
        let failed = Set(removed + bounced)
        replicaStates.move(replicas(of: Array(states.keys), on: failed), to: .offline, logger: logger)
        replicaStates.move(replicas(of: Array(states.keys), on: Set(added.map(\.id))), to: .online, logger: logger)
        try await createMissingPartitionStates()
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
        try await onBrokersChangedDuringDeletion(failed: failed, started: Set(added.map(\.id)))
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
        partitionStates.move(newPartitions, to: .new, logger: logger)
        replicaStates.move(replicas(of: newPartitions), to: .new, logger: logger)
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
        partitionStates.move(added, to: .new, logger: logger)
        replicaStates.move(replicas(of: added), to: .new, logger: logger)
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
                guard states[topicPartition] == nil, partitionStates.state(of: topicPartition) == .new else { continue }
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
            partitionStates.move([partition], to: .online, logger: logger)
            for replica in replicas(of: [partition]) {
                replicaStates.move(
                    [replica],
                    to: liveBrokers[replica.broker] != nil ? .online : .offline,
                    logger: logger
                )
            }
        }
    }

    /// The replicas of `partitions` in their current assignments, those on `brokers` only when given.
    func replicas(of partitions: [TopicPartition], on brokers: Set<BrokerID>? = nil) -> [PartitionReplica] {
        partitions.flatMap { partition in
            (assignments[partition.topic]?.partitions[partition.partition] ?? [])
                .filter { brokers?.contains($0) ?? true }
                .map { PartitionReplica(partition: partition, broker: $0) }
        }
    }
}
