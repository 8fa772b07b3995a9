import KafkaCore
import KafkaTestSupport
import Logging
import Testing

@testable import KafkaController

/// Kafka's partition and replica state machines: legal moves, an illegal move refused, and the states a
/// controller's partitions and replicas go through from creation to deletion.
@Suite("Controller state machines")
struct StateMachineTests {
    let partition = TopicPartition("t", 0)

    @Test func movesFollowTheValidPreviousStates() {
        var machine = PartitionStateMachine(kind: "partition")
        #expect(machine.move([partition], to: .new, logger: ControllerHarness.logger) == [partition])
        #expect(machine.move([partition], to: .online, logger: ControllerHarness.logger) == [partition])
        #expect(machine.move([partition], to: .offline, logger: ControllerHarness.logger) == [partition])
        #expect(machine.move([partition], to: .online, logger: ControllerHarness.logger) == [partition])
        // Online → NonExistent and Online → New are not moves Kafka allows: refused, the state kept.
        #expect(machine.move([partition], to: .nonExistent, logger: ControllerHarness.logger).isEmpty)
        #expect(machine.move([partition], to: .new, logger: ControllerHarness.logger).isEmpty)
        #expect(machine.state(of: partition) == .online)
        #expect(machine.move([partition], to: .offline, logger: ControllerHarness.logger) == [partition])
        #expect(machine.move([partition], to: .nonExistent, logger: ControllerHarness.logger) == [partition])
        #expect(machine.states.isEmpty)
        // Never created: it cannot come online or go offline.
        #expect(machine.move([partition], to: .online, logger: ControllerHarness.logger).isEmpty)
        #expect(machine.move([partition], to: .offline, logger: ControllerHarness.logger).isEmpty)
    }

    @Test func aControllersPartitionsGoFromNewToOnlineToOfflineToNonExistent() async throws {
        let cluster = try await ControllerHarness()
        try await cluster.register(1)
        let controller = cluster.controller(1)
        await controller.process(.elect)
        try await cluster.createTopic("t", [0: [1], 1: [2]])
        await controller.process(.topicChange)
        #expect(await controller.partitionStates.state(of: TopicPartition("t", 0)) == .online)
        // No live replica yet: known, but new.
        #expect(await controller.partitionStates.state(of: TopicPartition("t", 1)) == .new)

        try await cluster.register(2)
        await controller.process(.brokerChange)
        #expect(await controller.partitionStates.state(of: TopicPartition("t", 1)) == .online)
        cluster.expire(2)
        await controller.process(.brokerChange)
        #expect(await controller.partitionStates.state(of: TopicPartition("t", 1)) == .offline)

        try await cluster.admin.requestTopicDeletion("t")
        await controller.process(.topicDeletion)
        #expect(await controller.partitionStates.states.isEmpty)
        await cluster.stop()
    }

    @Test func replicaMovesFollowTheValidPreviousStates() {
        var machine = ReplicaStateMachine(kind: "replica")
        let replica = PartitionReplica(partition: partition, broker: 1)
        let log = ControllerHarness.logger
        #expect(machine.move([replica], to: .new, logger: log) == [replica])
        #expect(machine.move([replica], to: .online, logger: log) == [replica])
        // An online replica is not deleted without going offline first.
        #expect(machine.move([replica], to: .deletionStarted, logger: log).isEmpty)
        #expect(machine.move([replica], to: .nonExistent, logger: log).isEmpty)
        #expect(machine.state(of: replica) == .online)
        #expect(machine.move([replica], to: .offline, logger: log) == [replica])
        #expect(machine.move([replica], to: .deletionStarted, logger: log) == [replica])
        #expect(machine.move([replica], to: .deletionIneligible, logger: log) == [replica])
        // Ineligible for deletion: it may come back online, or be retried from offline.
        #expect(machine.move([replica], to: .online, logger: log) == [replica])
        #expect(machine.move([replica], to: .offline, logger: log) == [replica])
        #expect(machine.move([replica], to: .deletionStarted, logger: log) == [replica])
        #expect(machine.move([replica], to: .deletionSuccessful, logger: log) == [replica])
        #expect(machine.move([replica], to: .online, logger: log).isEmpty)
        #expect(machine.move([replica], to: .nonExistent, logger: log) == [replica])
        #expect(machine.states.isEmpty)
    }

    @Test func aControllersReplicasFollowTheirBrokersFromCreationToDeletion() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let controller = cluster.controller(1)
        await controller.process(.elect)
        try await cluster.createTopic("t", [0: [1, 2]])
        await controller.process(.topicChange)
        func state(_ broker: BrokerID) async -> ReplicaState {
            await controller.replicaStates.state(of: PartitionReplica(partition: partition, broker: broker))
        }
        #expect(await state(1) == .online)
        #expect(await state(2) == .online)
        #expect(await state(3) == .nonExistent)

        cluster.expire(2)
        await controller.process(.brokerChange)
        #expect(await state(2) == .offline)
        cluster.reconnect(2)
        try await cluster.register(2)
        await controller.process(.brokerChange)
        #expect(await state(2) == .online)

        try await cluster.admin.requestTopicDeletion("t")
        await controller.process(.topicDeletion)
        // Each replica goes to NonExistent once its broker has answered StopReplica.
        try await settle("every replica deleted") { await controller.replicaStates.states.isEmpty }
        await cluster.stop()
    }
}
