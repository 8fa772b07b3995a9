import KafkaCore
import KafkaTestSupport
import KafkaZooKeeper
import Synchronization
import Testing
import ZooKeeper

@testable import KafkaController

/// Preferred elections, reassignment, ISR notifications, topic deletion and the serial event loop, against an
/// in-memory ZooKeeper.
@Suite("Controller admin work and the event loop")
struct ControllerAdminTests {
    /// Three brokers, broker 1 the controller, topic `t` with the given assignment.
    static func started(
        _ partitions: [PartitionID: [BrokerID]],
        channel: RecordingBrokerChannel = RecordingBrokerChannel()
    ) async throws -> (ControllerHarness, Controller) {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let controller = cluster.controller(1, channel: channel)
        await controller.process(.elect)
        try await cluster.createTopic("t", partitions)
        await controller.process(.topicChange)
        return (cluster, controller)
    }

    @Test func aPreferredReplicaElectionRequestMovesLeadershipBackAndIsDeleted() async throws {
        let (cluster, controller) = try await Self.started([0: [2, 1], 1: [3, 1]])
        // Broker 2 bounces: partition 0 moves to 1, and 2 comes back out of the ISR, then catches up.
        cluster.expire(2)
        await controller.process(.brokerChange)
        #expect(try await cluster.state("t", 0)?.leader == 1)
        cluster.session(2).reconnect()
        try await cluster.register(2)
        await controller.process(.brokerChange)
        var state = try #require(try await cluster.state("t", 0))
        state.isr = [1, 2]
        _ = try await cluster.zk(1).updateLeaderAndIsr(TopicPartition("t", 0), state, epochZkVersion: nil)
        try await cluster.zk(1).propagateIsrChanges([TopicPartition("t", 0)])
        await controller.process(.isrChangeNotification)

        _ = try await cluster.admin.zookeeper.create(
            ZkPaths.preferredReplicaElection,
            data: AdminZNodes.encodePartitions([TopicPartition("t", 0), TopicPartition("t", 1)])
        )
        await controller.process(.preferredReplicaElection)
        let elected = try #require(try await cluster.state("t", 0))
        #expect(elected.leader == 2)
        #expect(elected.isr == [1, 2])
        #expect(try await cluster.state("t", 1)?.leader == 3)  // already preferred: untouched
        #expect(try await cluster.admin.zookeeper.exists(ZkPaths.preferredReplicaElection) == nil)
        await cluster.stop()
    }

    @Test func electLeadersAnswersPerPartition() async throws {
        let (cluster, controller) = try await Self.started([0: [2, 1], 1: [3, 1]])
        cluster.expire(2)
        await controller.process(.brokerChange)
        let answer = await controller.electLeaders(
            .preferred,
            partitions: [TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("t", 9)]
        )
        #expect(
            answer == [
                TopicPartition("t", 0): .preferredLeaderNotAvailable,
                TopicPartition("t", 1): .electionNotNeeded,
                TopicPartition("t", 9): .unknownTopicOrPartition,
            ]
        )
        await cluster.stop()
    }

    @Test func aReassignmentAddsTheTargetReplicasThenDropsTheOldOnesOnceTheyAreInSync() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, controller) = try await Self.started([0: [1, 2, 3]], channel: channel)
        try await cluster.register(4)
        await controller.process(.brokerChange)
        let partition = TopicPartition("t", 0)

        _ = try await cluster.admin.zookeeper.create(
            ZkPaths.reassignPartitions,
            data: AdminZNodes.encodeReassignment([partition: [4, 2]])
        )
        await controller.process(.partitionReassignment)
        var assignment = try #require(try await cluster.admin.getTopicAssignment("t"))
        #expect(assignment.partitions[0] == [4, 2, 1, 3])
        #expect(assignment.addingReplicas[0] == [4])
        #expect(assignment.removingReplicas[0] == [1, 3])
        #expect(try await cluster.state("t", 0)?.leaderEpoch == 1)
        try await settle("broker 4 told to follow") { channel.leaders(sentTo: 4)[partition] == [1] }
        func replicaState(_ broker: BrokerID) async -> ReplicaState {
            await controller.replicaStates.state(of: PartitionReplica(partition: partition, broker: broker))
        }
        #expect(await replicaState(4) == .online)
        #expect(await replicaState(1) == .online)

        // Broker 4 catches up: the leader adds it to the ISR and announces it.
        var state = try #require(try await cluster.state("t", 0))
        state.isr = [1, 2, 3, 4]
        _ = try await cluster.zk(1).updateLeaderAndIsr(partition, state, epochZkVersion: nil)
        try await cluster.zk(1).propagateIsrChanges([partition])
        await controller.process(.isrChangeNotification)

        assignment = try #require(try await cluster.admin.getTopicAssignment("t"))
        #expect(assignment.partitions[0] == [4, 2])
        #expect(assignment.addingReplicas.isEmpty)
        #expect(assignment.removingReplicas.isEmpty)
        let finished = try #require(try await cluster.state("t", 0))
        #expect(finished.leader == 4)  // the old leader left the replicas
        #expect(finished.isr == [2, 4])
        #expect(try await cluster.admin.zookeeper.exists(ZkPaths.reassignPartitions) == nil)
        try await settle("StopReplica to the removed replicas") { channel.stopReplicaTargets(partition) == [1, 3] }
        #expect(await replicaState(1) == .nonExistent)
        #expect(await replicaState(3) == .nonExistent)
        #expect(await replicaState(2) == .online)
        #expect(await replicaState(4) == .online)
        await cluster.stop()
    }

    @Test func anApiReassignmentReplacedThenCancelledDropsTheReplicasItWasAdding() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, controller) = try await Self.started([0: [1, 2, 3]], channel: channel)
        try await cluster.register(4)
        try await cluster.register(5)
        await controller.process(.brokerChange)
        let partition = TopicPartition("t", 0)
        func replicaState(_ broker: BrokerID) async -> ReplicaState {
            await controller.replicaStates.state(of: PartitionReplica(partition: partition, broker: broker))
        }

        #expect(await controller.alterPartitionReassignments([partition: [4, 2]]) == [partition: .init(.none)])
        #expect(
            await controller.listPartitionReassignments(nil)
                == [partition: .init(replicas: [4, 2, 1, 3], adding: [4], removing: [1, 3])]
        )
        // A new target replaces it: the original replicas stay the same, broker 4 (only being added) leaves.
        #expect(await controller.alterPartitionReassignments([partition: [5, 2]]) == [partition: .init(.none)])
        var assignment = try #require(try await cluster.admin.getTopicAssignment("t"))
        #expect(assignment.partitions[0] == [5, 2, 1, 3])
        #expect(assignment.addingReplicas[0] == [5] && assignment.removingReplicas[0] == [1, 3])
        try await settle("StopReplica to broker 4") { channel.stopReplicaTargets(partition) == [4] }
        #expect(await replicaState(4) == .nonExistent)
        #expect(try await cluster.admin.getPartitionReassignment(watch: false) == nil)

        // Broker 1 (the controller) goes; broker 2 takes over and finds the reassignment in the topic znode.
        cluster.expire(1)
        let secondChannel = RecordingBrokerChannel()
        let second = cluster.controller(2, channel: secondChannel)
        await second.process(.elect)
        #expect(second.isActive)
        #expect(
            await second.listPartitionReassignments(nil)
                == [partition: .init(replicas: [5, 2, 1, 3], adding: [5], removing: [1, 3])]
        )

        // Cancelled: back to the original replicas (in the order of the full set, as Kafka's `originReplicas`),
        // broker 5 leaves, nothing in progress.
        #expect(await second.alterPartitionReassignments([partition: nil]) == [partition: .init(.none)])
        assignment = try #require(try await cluster.admin.getTopicAssignment("t"))
        #expect(assignment.partitions[0] == [2, 1, 3])
        #expect(assignment.addingReplicas.isEmpty && assignment.removingReplicas.isEmpty)
        try await settle("StopReplica to broker 5") { secondChannel.stopReplicaTargets(partition) == [5] }
        // Broker 1 is away, so the original replicas are not all in sync: the cancellation waits for it, with
        // nothing being added or removed any more; once broker 1 is back in the ISR it is done.
        #expect(
            await second.listPartitionReassignments(nil)
                == [partition: .init(replicas: [2, 1, 3], adding: [], removing: [])]
        )
        cluster.reconnect(1)
        try await cluster.register(1)
        await second.process(.brokerChange)
        var state = try #require(try await cluster.state("t", 0))
        state.isr = [2, 3, 1]
        _ = try await cluster.zk(2).updateLeaderAndIsr(partition, state, epochZkVersion: nil)
        try await cluster.zk(2).propagateIsrChanges([partition])
        await second.process(.isrChangeNotification)
        #expect(await second.listPartitionReassignments(nil) == [:])
        #expect(
            await second.alterPartitionReassignments([partition: nil])
                == [partition: .init(.noReassignmentInProgress, "No reassignment in progress for partition t-0.")]
        )
        #expect(
            await second.alterPartitionReassignments([partition: [1, 9]])
                == [
                    partition: .init(
                        .invalidReplicaAssignment,
                        "The proposed assignment contains non-live brokers: [1, 9]"
                    )
                ]
        )
        #expect(try await cluster.state("t", 0)?.leader == 2)
        await cluster.stop()
    }

    @Test func isrChangeNotificationsAreTakenAndSpreadWithUpdateMetadata() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, controller) = try await Self.started([0: [1, 2, 3]], channel: channel)
        var state = try #require(try await cluster.state("t", 0))
        state.isr = [1, 3]
        _ = try await cluster.zk(1).updateLeaderAndIsr(TopicPartition("t", 0), state, epochZkVersion: nil)
        try await cluster.zk(1).propagateIsrChanges([TopicPartition("t", 0)])
        #expect(cluster.zookeeper.children(ZkPaths.isrChangeNotification).count == 1)

        await controller.process(.isrChangeNotification)
        #expect(cluster.zookeeper.children(ZkPaths.isrChangeNotification).isEmpty)
        try await settle("UpdateMetadata with the new ISR on every broker") {
            var told: Set<BrokerID> = []
            for case .updateMetadata(let id, let request) in channel.all {
                if request.topicStates.contains(where: { $0.partitionStates.contains { $0.isr == [1, 3] } }) {
                    told.insert(id)
                }
            }
            return told == [1, 2, 3]
        }
        await cluster.stop()
    }

    @Test func aDeletedTopicLosesItsZNodesAndItsReplicas() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, controller) = try await Self.started([0: [1, 2], 1: [2, 3]], channel: channel)
        try await cluster.admin.requestTopicDeletion("t")
        await controller.process(.topicDeletion)
        #expect(controller.metricsSnapshot.partitions == 0)
        try await settle("StopReplica on every replica") {
            channel.stopReplicaTargets(TopicPartition("t", 0)) == [1, 2]
                && channel.stopReplicaTargets(TopicPartition("t", 1)) == [2, 3]
        }
        // The znodes go once every replica has answered.
        try await settle("the topic's znodes removed") {
            try await cluster.admin.getAllTopics().isEmpty && cluster.zookeeper.children(ZkPaths.deleteTopics).isEmpty
        }
        await cluster.stop()
    }

    /// An event that arrives while another waits on ZooKeeper runs after it, on its result: ElectLeaders asked while
    /// a broker-change event is still reading the brokers sees that broker gone.
    @Test func anEventArrivingDuringAnotherRunsAfterIt() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let gated = GatedZooKeeper(cluster.session(3), holding: ZkPaths.brokerIDs)
        let controller = cluster.controller(3, zookeeper: gated)
        await controller.process(.elect)
        try await cluster.createTopic("t", [0: [1, 2]])
        await controller.process(.topicChange)
        // Broker 1 bounces: t-0 moves to 2, and 1 comes back into the ISR, a preferred leader that does not lead.
        cluster.expire(1)
        await controller.process(.brokerChange)
        cluster.session(1).reconnect()
        try await cluster.register(1)
        await controller.process(.brokerChange)
        var state = try #require(try await cluster.state("t", 0))
        #expect(state.leader == 2)
        state.isr = [2, 1]
        _ = try await cluster.zk(2).updateLeaderAndIsr(TopicPartition("t", 0), state, epochZkVersion: nil)
        try await cluster.zk(2).propagateIsrChanges([TopicPartition("t", 0)])
        await controller.process(.isrChangeNotification)

        cluster.expire(1)
        gated.close()
        controller.enqueue(.brokerChange)
        await gated.waitUntilHeld()
        let election = Task { await controller.electLeaders(.preferred, partitions: [TopicPartition("t", 0)]) }
        // Give an interleaving controller every chance to run the election now, while the event is half done.
        try await Task.sleep(for: .milliseconds(50))
        gated.open()
        #expect(await election.value == [TopicPartition("t", 0): .preferredLeaderNotAvailable])
        #expect(try await cluster.state("t", 0)?.leader == 2)
        await cluster.stop()
    }

    @Test func eventsAfterShutdownAreNotProcessed() async throws {
        let cluster = try await ControllerHarness()
        try await cluster.register(1)
        let controller = cluster.controller(1)
        await controller.process(.elect)
        #expect(controller.isActive)
        #expect(await controller.process(.shutdown) == .processed)
        #expect(!controller.isActive)
        #expect(await controller.process(.elect) == .notRunning)
        #expect(await controller.controlledShutdown(brokerID: 1, brokerEpoch: -1).errorCode == .notController)
        await cluster.stop()
    }
}

/// A ZooKeeper session whose child reads of one path wait while the gate is closed: to hold an event half done.
final class GatedZooKeeper: ZooKeeperOperations {
    let inner: InMemoryZooKeeper.Session
    let path: String
    private let state = Mutex<(closed: Bool, held: Bool, waiting: [CheckedContinuation<Void, Never>])>(
        (false, false, [])
    )

    init(_ inner: InMemoryZooKeeper.Session, holding path: String) {
        self.inner = inner
        self.path = path
    }

    func close() { state.withLock { $0.closed = true } }

    func open() {
        let waiting = state.withLock { state in
            state.closed = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once a read is held at the gate.
    func waitUntilHeld() async {
        while !state.withLock({ $0.held }) { await Task.yield() }
    }

    private func pass(_ path: String) async {
        guard path == self.path else { return }
        await withCheckedContinuation { continuation in
            let hold = state.withLock { state in
                guard state.closed else { return false }
                state.held = true
                state.waiting.append(continuation)
                return true
            }
            if !hold { continuation.resume() }
        }
    }

    var sessionID: Int64? { inner.sessionID }

    func create(_ path: String, data: [UInt8], mode: CreateMode) async throws -> String {
        try await inner.create(path, data: data, mode: mode)
    }

    func getData(_ path: String, watch: Bool) async throws -> (data: [UInt8]?, stat: ZooKeeperStat) {
        try await inner.getData(path, watch: watch)
    }

    func setData(_ path: String, data: [UInt8], version: Int32?) async throws -> ZooKeeperStat {
        try await inner.setData(path, data: data, version: version)
    }

    func delete(_ path: String, version: Int32?) async throws { try await inner.delete(path, version: version) }

    func exists(_ path: String, watch: Bool) async throws -> ZooKeeperStat? {
        try await inner.exists(path, watch: watch)
    }

    func children(_ path: String, watch: Bool) async throws -> [String] {
        await pass(path)
        return try await inner.children(path, watch: watch)
    }

    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        try await inner.multi(operations)
    }

    func watchEvents() -> AsyncStream<WatchEvent> { inner.watchEvents() }
}
