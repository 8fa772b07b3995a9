import KafkaCore
import KafkaTestSupport
import Logging
import Testing

@testable import KafkaController

/// Kafka's partition state machine: legal moves, an illegal move refused, and the states a controller's partitions
/// go through from creation to deletion.
@Suite("Partition state machine")
struct PartitionStateMachineTests {
    let partition = TopicPartition("t", 0)

    @Test func movesFollowTheValidPreviousStates() {
        var machine = PartitionStateMachine()
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
}
