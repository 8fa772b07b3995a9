import ClusterTestSupport
import Foundation
import KafkaCore
import KafkaTestSupport
import Logging
import Testing
import ZooKeeper

@testable import KafkaZooKeeper

/// Kafka's ZooKeeper operations against a real server, each test under a chroot of its own.
@Suite("KafkaZkClient against ZooKeeper")
struct KafkaZkClientTests {
    private func withKafkaZk<Result>(
        _ body: (KafkaZkClient, ZooKeeperClient) async throws -> Result
    ) async throws -> Result {
        let servers = try await SharedZooKeeper.connectString()
        let configuration = ZooKeeperConfiguration(
            connectString: servers + "/kafka-" + UUID().uuidString.prefix(8).lowercased(),
            sessionTimeout: .seconds(10)
        )
        try await KafkaZkClient.ensureChroot(configuration)
        let zookeeper = ZooKeeperClient(configuration: configuration)
        try await zookeeper.connect()
        let client = KafkaZkClient(
            zookeeper: zookeeper,
            clock: ManualClock(milliseconds: 1_700_000_000_000),
            logger: Logger(label: "test")
        )
        do {
            try await client.createPersistentPaths()
            let result = try await body(client, zookeeper)
            await zookeeper.close()
            return result
        } catch {
            await zookeeper.close()
            throw error
        }
    }

    @Test func startupCreatesKafkasPersistentPathsAndOneClusterID() async throws {
        try await withKafkaZk { client, zookeeper in
            for path in ZkPaths.persistentPaths { #expect(try await zookeeper.exists(path) != nil, "\(path)") }
            let first = try await client.getOrCreateClusterID(proposed: "QV0_Ob7VSaW3bdpyIk2fGQ")
            let second = try await client.getOrCreateClusterID(proposed: "someOtherIdXXXXXXXXXXX")
            #expect(first == "QV0_Ob7VSaW3bdpyIk2fGQ" && second == first)
            #expect(try await client.generateBrokerSequenceID() == 1001)
            #expect(try await client.generateBrokerSequenceID() == 1002)
        }
    }

    @Test func brokersRegisterEphemerallyWithTheirEpoch() async throws {
        try await withKafkaZk { client, zookeeper in
            let registration = BrokerRegistration(
                id: 1,
                endpoints: [EndPoint("PLAINTEXT://127.0.0.1:9092")!],
                timestamp: 5
            )
            let epoch = try await client.registerBroker(registration)
            #expect(try await client.registerBroker(registration) == epoch)  // the same session: kept
            let stat = try #require(try await zookeeper.exists("/brokers/ids/1"))
            #expect(stat.isEphemeral && stat.czxid == epoch)
            let brokers = try await client.getAllBrokers()
            #expect(brokers.map(\.id) == [1])
            #expect(brokers.first?.epoch == epoch)
            #expect(brokers.first?.endpoints.first?.port == 9092)
        }
    }

    @Test func controllerElectionRaisesTheEpochInOneMulti() async throws {
        try await withKafkaZk { client, zookeeper in
            let (epoch, version) = try await client.registerControllerAndIncrementEpoch(brokerID: 1)
            #expect(epoch == 1)
            #expect(try await client.getControllerID() == 1)
            #expect(try await client.getControllerEpoch()?.epoch == 1)
            // Another broker loses while the controller lives.
            await #expect(throws: KafkaZkClient.Failure.controllerMoved(current: 1)) {
                _ = try await client.registerControllerAndIncrementEpoch(brokerID: 2)
            }
            #expect(try await client.getControllerEpoch()?.epoch == 1)
            // A fenced write with the current epoch version passes; after a new controller it is refused.
            try await client.fencedMulti(
                [.create(path: "/fenced-1", data: [], mode: .persistent)],
                epochZkVersion: version
            )
            try await zookeeper.delete("/controller")
            let (newEpoch, _) = try await client.registerControllerAndIncrementEpoch(brokerID: 2)
            #expect(newEpoch == 2)
            await #expect(throws: KafkaZkClient.Failure.controllerMoved(current: 2)) {
                try await client.fencedMulti(
                    [.create(path: "/fenced-2", data: [], mode: .persistent)],
                    epochZkVersion: version
                )
            }
            #expect(try await zookeeper.exists("/fenced-2") == nil)
        }
    }

    @Test func topicsPartitionStatesAndConditionalUpdates() async throws {
        try await withKafkaZk { client, zookeeper in
            let (_, fence) = try await client.registerControllerAndIncrementEpoch(brokerID: 1)
            let assignment = TopicAssignment(topic: "orders", partitions: [0: [1, 2], 1: [2, 1]], topicID: .random())
            try await client.createTopic(assignment, config: ["retention.ms": "1000"])
            await #expect(throws: KafkaZkClient.Failure.topicAlreadyExists("orders")) {
                try await client.createTopic(assignment, config: [:])
            }
            #expect(try await client.getAllTopics() == ["orders"])
            #expect(try await client.getTopicAssignment("orders") == assignment)
            #expect(try await client.getEntityConfig(type: "topics", name: "orders") == ["retention.ms": "1000"])

            let partition = TopicPartition("orders", 0)
            let created = try await client.createPartitionStates(
                [partition: LeaderAndIsr(leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 1)],
                epochZkVersion: fence
            )
            var state = try #require(created[partition])
            #expect(try await client.getPartitionState(partition) == state)
            state.isr = [1]
            state.leaderEpoch = 1
            let newVersion = try #require(try await client.updateLeaderAndIsr(partition, state, epochZkVersion: fence))
            #expect(newVersion == 1)
            // A writer with the old version loses.
            #expect(try await client.updateLeaderAndIsr(partition, state, epochZkVersion: nil) == nil)
            #expect(try await client.getPartitionState(partition)?.isr == [1])

            try await client.setEntityConfig(type: "topics", name: "orders", config: ["retention.ms": "2000"])
            #expect(try await zookeeper.children("/config/changes").contains { $0.hasPrefix("config_change_") })

            try await client.requestTopicDeletion("orders")
            #expect(try await client.getTopicDeletionRequests() == ["orders"])
            try await client.deleteTopicZNodes("orders", epochZkVersion: fence)
            #expect(try await client.getAllTopics().isEmpty)
            #expect(try await client.getTopicDeletionRequests().isEmpty)
            #expect(try await zookeeper.exists("/config/topics/orders") == nil)
        }
    }

    @Test func producerIDBlocksFollowEachOther() async throws {
        try await withKafkaZk { (client: KafkaZkClient, _: ZooKeeperClient) async throws in
            #expect(
                try await client.allocateProducerIDBlock(brokerID: 1)
                    == ProducerIDBlock(brokerID: 1, start: 0, end: 999)
            )
            #expect(
                try await client.allocateProducerIDBlock(brokerID: 2)
                    == ProducerIDBlock(brokerID: 2, start: 1000, end: 1999)
            )
        }
    }

    @Test func consumerOffsetsUseTheOldLayout() async throws {
        try await withKafkaZk { client, zookeeper in
            try await client.setConsumerOffset(group: "g", partition: TopicPartition("t", 3), offset: 1234)
            #expect(try await zookeeper.getData("/consumers/g/offsets/t/3").data == Array("1234".utf8))
            #expect(try await client.getConsumerOffset(group: "g", partition: TopicPartition("t", 3)) == 1234)
            #expect(try await client.getConsumerOffset(group: "g", partition: TopicPartition("t", 4)) == nil)
        }
    }
}
