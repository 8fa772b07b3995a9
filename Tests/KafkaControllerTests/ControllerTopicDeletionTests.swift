import KafkaCore
import KafkaTestSupport
import KafkaZooKeeper
import Testing
import ZooKeeper

@testable import KafkaController

/// Topic deletion as Kafka's TopicDeletionManager does it, against an in-memory ZooKeeper: the topic's znodes stay
/// (and its name stays taken) until every replica has answered StopReplica(delete); a replica on a dead broker, or
/// one that refuses, holds the deletion until a broker starts; a new controller resumes a deletion it finds.
@Suite("Controller topic deletion")
struct ControllerTopicDeletionTests {
    static func topicExists(_ cluster: ControllerHarness) async throws -> Bool {
        try await cluster.admin.getAllTopics().contains("t")
    }

    @Test func aReplicaOnADeadBrokerHoldsTheDeletionUntilItReturns() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, controller) = try await ControllerAdminTests.started([0: [1, 2], 1: [2, 3]], channel: channel)
        cluster.expire(3)
        await controller.process(.brokerChange)
        try await cluster.admin.requestTopicDeletion("t")
        await controller.process(.topicDeletion)
        try await settle("StopReplica to the live replicas") {
            channel.stopReplicaTargets(TopicPartition("t", 0)) == [1, 2]
                && channel.stopReplicaTargets(TopicPartition("t", 1)) == [2]
        }
        // Let the answers' events run: the topic must still be there, waiting for broker 3.
        await controller.process(.isrChangeNotification)
        #expect(try await Self.topicExists(cluster))
        #expect(cluster.zookeeper.children(ZkPaths.deleteTopics) == ["t"])
        #expect(controller.metricsSnapshot.partitions == 0)

        let ledBefore = channel.leaders(sentTo: 3)[TopicPartition("t", 1)]
        cluster.reconnect(3)
        try await cluster.register(3)
        await controller.process(.brokerChange)
        try await settle("StopReplica to broker 3 and the topic's znodes removed") {
            let exists = try await Self.topicExists(cluster)
            return channel.stopReplicaTargets(TopicPartition("t", 1)) == [2, 3] && !exists
                && cluster.zookeeper.children(ZkPaths.deleteTopics).isEmpty
        }
        // The returning broker is not told to lead or follow the topic being deleted.
        #expect(channel.leaders(sentTo: 3)[TopicPartition("t", 1)] == ledBefore)
        await cluster.stop()
    }

    @Test func aRefusedStopReplicaIsRetriedWhenABrokerStarts() async throws {
        let channel = RecordingBrokerChannel()
        channel.refuseStopReplica(on: [2])
        let (cluster, controller) = try await ControllerAdminTests.started([0: [1, 2]], channel: channel)
        try await cluster.admin.requestTopicDeletion("t")
        await controller.process(.topicDeletion)
        try await settle("StopReplica to both replicas") {
            channel.stopReplicaTargets(TopicPartition("t", 0)) == [1, 2]
        }
        await controller.process(.isrChangeNotification)
        #expect(try await Self.topicExists(cluster))
        #expect(channel.stopReplicaCount(TopicPartition("t", 0), to: 1) == 1)

        // Broker 2's disk is fixed and it restarts: only its replica is asked again.
        channel.refuseStopReplica(on: [])
        cluster.expire(2)
        await controller.process(.brokerChange)
        cluster.reconnect(2)
        try await cluster.register(2)
        await controller.process(.brokerChange)
        try await settle("the deletion finished") { try await !Self.topicExists(cluster) }
        #expect(channel.stopReplicaCount(TopicPartition("t", 0), to: 2) == 2)
        #expect(channel.stopReplicaCount(TopicPartition("t", 0), to: 1) == 1)
        await cluster.stop()
    }

    @Test func aNewControllerResumesADeletionItFinds() async throws {
        let channel = RecordingBrokerChannel()
        let (cluster, first) = try await ControllerAdminTests.started([0: [1, 2], 1: [2, 3]], channel: channel)
        cluster.expire(3)
        await first.process(.brokerChange)
        try await cluster.admin.requestTopicDeletion("t")
        await first.process(.topicDeletion)
        await first.process(.isrChangeNotification)
        #expect(try await Self.topicExists(cluster))

        // Broker 1 (the controller) goes; broker 2 takes over while broker 3 is still away.
        cluster.expire(1)
        let secondChannel = RecordingBrokerChannel()
        let second = cluster.controller(2, channel: secondChannel)
        await second.process(.elect)
        #expect(second.isActive)
        #expect(secondChannel.leaders(sentTo: 2)[TopicPartition("t", 0)] == nil)
        #expect(try await Self.topicExists(cluster))
        // Broker 3 returns and deletes its replica; broker 1's replica of t-0 still holds the deletion.
        cluster.reconnect(3)
        try await cluster.register(3)
        await second.process(.brokerChange)
        try await settle("StopReplica to broker 3") {
            secondChannel.stopReplicaTargets(TopicPartition("t", 1)) == [2, 3]
        }
        await second.process(.isrChangeNotification)
        #expect(try await Self.topicExists(cluster))
        cluster.reconnect(1)
        try await cluster.register(1)
        await second.process(.brokerChange)
        try await settle("the deletion finished under the new controller") {
            let exists = try await Self.topicExists(cluster)
            return !exists && cluster.zookeeper.children(ZkPaths.deleteTopics).isEmpty
        }
        #expect(secondChannel.stopReplicaTargets(TopicPartition("t", 0)) == [1, 2])
        await cluster.stop()
    }
}
