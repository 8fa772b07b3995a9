import ClusterTestSupport
import KafkaCore
import KafkaProtocol
import Testing

@testable import KafkaClient

/// The library's admin client against real brokers: per-item results (one topic's error does not fail the
/// others), requests routed to the controller, leaders and coordinators.
@Suite("Admin client", .serialized, .timeLimit(.minutes(5)))
struct AdminClientTests {
    /// The error of an item's result (`.none` for success, nil when the item has no result).
    static func code<Value>(_ result: Result<Value, AdminError>?) -> KafkaErrorCode? {
        switch result {
        case nil: nil
        case .success?: KafkaErrorCode.none
        case .failure(let error)?: error.code
        }
    }

    @Test func topicsAreCreatedDescribedGrownAndDeletedWithPerTopicErrors() async throws {
        try await withCluster(brokers: 2) { _, brokers in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": brokers[1].bootstrap])
            let created = try await admin.createTopics([
                NewTopic(name: "a", numPartitions: 3, replicationFactor: 2, configs: ["retention.ms": "3600000"]),
                NewTopic(name: "b", replicaAssignment: [[2, 1], [1, 2]]),
                NewTopic(name: "bad", numPartitions: 1, replicationFactor: 5),
            ])
            #expect((try? created["a"]?.get()) != nil)
            #expect((try? created["b"]?.get()) != nil)
            guard case .failure(let error)? = created["bad"] else {
                Issue.record("a replication factor above the broker count must fail")
                return
            }
            #expect(error.code == .invalidReplicationFactor)
            let again = try await admin.createTopics([NewTopic(name: "a", numPartitions: 1)])
            #expect(Self.code(again["a"]) == .topicAlreadyExists)

            #expect(try await admin.listTopics() == ["a", "b"])
            let described = try await admin.describeTopics(["a", "b", "missing"])
            #expect(described.map(\.name) == ["a", "b", "missing"])
            #expect(described[0].partitions.count == 3)
            #expect(described[0].partitions.allSatisfy { $0.replicas.count == 2 && $0.leader >= 1 })
            #expect(described[1].partitions.map(\.replicas) == [[2, 1], [1, 2]])
            #expect(described[2].error == .unknownTopicOrPartition)

            let configs = try await admin.describeConfigs([ConfigResource(.topic, "a")])
            let entries = try #require(try configs[ConfigResource(.topic, "a")]?.get())
            let retention = try #require(entries.first { $0.name == "retention.ms" })
            #expect(retention.value == "3600000" && retention.source == .dynamicTopicConfig && !retention.isDefault)
            let altered = try await admin.incrementalAlterConfigs([
                ConfigResource(.topic, "a"): [.set("cleanup.policy", "compact"), .delete("retention.ms")]
            ])
            #expect((try? altered[ConfigResource(.topic, "a")]?.get()) != nil)
            let after = try #require(
                try await admin.describeConfigs([ConfigResource(.topic, "a")])[ConfigResource(.topic, "a")]?.get()
            )
            #expect(after.first { $0.name == "cleanup.policy" }?.value == "compact")
            #expect(after.first { $0.name == "retention.ms" }?.isDefault == true)

            let grown = try await admin.createPartitions(["a": 5, "b": 1])
            #expect((try? grown["a"]?.get()) != nil)
            #expect(Self.code(grown["b"]) == .invalidPartitions)
            let deleted = try await admin.deleteTopics(["b", "never"])
            #expect((try? deleted["b"]?.get()) != nil)
            #expect(Self.code(deleted["never"]) == .unknownTopicOrPartition)
            await admin.close()
        }
    }

    @Test func recordsOffsetsAndGroupsGoToTheirLeadersAndCoordinator() async throws {
        try await withCluster { _, brokers in
            let bootstrap = brokers[0].bootstrap
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": bootstrap])
            _ = try await admin.createTopics([NewTopic(name: "r", numPartitions: 2, replicationFactor: 1)])
            let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap])
            for index in 0..<10 { _ = try await producer.send(topic: "r", value: [UInt8(index)], partition: 0) }
            await producer.close()
            let p0 = TopicPartition("r", 0)
            #expect(try await admin.listOffsets([p0], at: -1)[p0]?.get() == 10)
            let trimmed = try await admin.deleteRecords([p0: 4])
            #expect(try trimmed[p0]?.get() == 4)
            #expect(try await admin.listOffsets([p0], at: -2)[p0]?.get() == 4)

            // A group's offsets set from outside (it has no members), listed, partly deleted; then the group.
            let p1 = TopicPartition("r", 1)
            let set = try await admin.alterGroupOffsets(
                "audit",
                [p0: OffsetAndMetadata(offset: 7), p1: OffsetAndMetadata(offset: 0, metadata: "m")]
            )
            #expect(Self.code(set[p0]) == KafkaErrorCode.none && Self.code(set[p1]) == KafkaErrorCode.none)
            let listed = try await admin.listGroupOffsets("audit")
            #expect(listed[p0]?.offset == 7 && listed[p1]?.metadata == "m")
            #expect(Self.code(try await admin.deleteGroupOffsets("audit", [p1])[p1]) == KafkaErrorCode.none)
            #expect(try await admin.listGroupOffsets("audit").keys.sorted() == [p0])
            #expect(Self.code(try await admin.deleteGroups(["audit"])["audit"]) == KafkaErrorCode.none)
            #expect(try await admin.listGroupOffsets("audit").isEmpty)

            // A live consumer group: listed, described with its member's assignment, not deletable.
            let consumer = try KafkaConsumer(properties: ["bootstrap.servers": bootstrap, "group.id": "live"])
            try await consumer.subscribe(topics: ["r"])
            let deadline = ContinuousClock.now + .seconds(30)
            while await consumer.assignedPartitions().isEmpty, ContinuousClock.now < deadline {
                _ = try await consumer.poll(timeout: .milliseconds(200))
            }
            #expect(try await admin.listGroups().map(\.groupID).contains("live"))
            let group = try await admin.describeGroup("live")
            #expect(group.state == "Stable" && group.protocolType == "consumer" && group.protocolName == "range")
            #expect(group.members.count == 1 && group.members.first?.assignment.sorted() == [p0, p1])
            #expect(group.coordinator == 1)
            #expect(Self.code(try await admin.deleteGroups(["live"])["live"]) == .nonEmptyGroup)
            await consumer.close()

            let elected = try await admin.electLeaders(.preferred, partitions: [p0])
            #expect(Self.code(elected[p0]) == .electionNotNeeded)
            await admin.close()
        }
    }

    @Test func anUnreachableClusterFailsWithinTheRequestTimeout() async throws {
        let port = try FreePort.allocate()[0]
        let admin = try KafkaAdminClient(properties: [
            "bootstrap.servers": "127.0.0.1:\(port)", "request.timeout.ms": "1000",
        ])
        let start = ContinuousClock.now
        await #expect(throws: Cluster.Unreachable.self) { _ = try await admin.listTopics() }
        #expect(ContinuousClock.now - start < .seconds(10))
        await admin.close()
    }
}
