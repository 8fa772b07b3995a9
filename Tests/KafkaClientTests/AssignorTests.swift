import KafkaCore
import Testing

@testable import KafkaClient

/// The assignors against the Java client's rules (cases from Kafka's RangeAssignorTest / RoundRobinAssignorTest),
/// and the ConsumerProtocol bytes against the schema's layout.
@Suite("Assignors and the consumer protocol")
struct AssignorTests {
    static func member(_ id: String, _ topics: [String], instance: String? = nil) -> GroupMemberSubscription {
        GroupMemberSubscription(
            memberID: id,
            groupInstanceID: instance,
            subscription: ConsumerProtocol.Subscription(topics: topics)
        )
    }

    static func partitions(_ list: [(String, Int32)]) -> [TopicPartition] { list.map { TopicPartition($0.0, $0.1) } }

    @Test func rangeGivesEachMemberAContiguousRangePerTopicTheFirstOnesOneMore() {
        let assignment = RangeAssignor().assign(
            partitionCounts: ["t1": 3, "t2": 3],
            members: [Self.member("c1", ["t1", "t2"]), Self.member("c0", ["t1", "t2"])]
        )
        #expect(assignment["c0"] == Self.partitions([("t1", 0), ("t1", 1), ("t2", 0), ("t2", 1)]))
        #expect(assignment["c1"] == Self.partitions([("t1", 2), ("t2", 2)]))
    }

    @Test func rangeSplitsEachTopicOnlyAmongItsSubscribers() {
        let assignment = RangeAssignor().assign(
            partitionCounts: ["t1": 3, "t2": 2],
            members: [Self.member("c0", ["t1"]), Self.member("c1", ["t1", "t2"]), Self.member("c2", ["t1"])]
        )
        #expect(assignment["c0"] == Self.partitions([("t1", 0)]))
        #expect(assignment["c1"] == Self.partitions([("t1", 1), ("t2", 0), ("t2", 1)]))
        #expect(assignment["c2"] == Self.partitions([("t1", 2)]))
    }

    @Test func staticMembersComeFirstByInstanceID() {
        // "b" is static, so it sorts before the dynamic "a" and takes the first range.
        let assignment = RangeAssignor().assign(
            partitionCounts: ["t": 4],
            members: [Self.member("a", ["t"]), Self.member("z", ["t"], instance: "b")]
        )
        #expect(assignment["z"] == Self.partitions([("t", 0), ("t", 1)]))
        #expect(assignment["a"] == Self.partitions([("t", 2), ("t", 3)]))
    }

    @Test func roundRobinDealsPartitionsAcrossMembersInOrder() {
        let assignment = RoundRobinAssignor().assign(
            partitionCounts: ["t1": 3, "t2": 3],
            members: [Self.member("c0", ["t1", "t2"]), Self.member("c1", ["t1", "t2"])]
        )
        #expect(assignment["c0"] == Self.partitions([("t1", 0), ("t1", 2), ("t2", 1)]))
        #expect(assignment["c1"] == Self.partitions([("t1", 1), ("t2", 0), ("t2", 2)]))
    }

    @Test func roundRobinSkipsMembersNotSubscribedToTheTopic() {
        let assignment = RoundRobinAssignor().assign(
            partitionCounts: ["t1": 1, "t2": 2, "t3": 3],
            members: [
                Self.member("c0", ["t1"]), Self.member("c1", ["t1", "t2"]), Self.member("c2", ["t1", "t2", "t3"]),
            ]
        )
        #expect(assignment["c0"] == Self.partitions([("t1", 0)]))
        #expect(assignment["c1"] == Self.partitions([("t2", 0)]))
        #expect(assignment["c2"] == Self.partitions([("t2", 1), ("t3", 0), ("t3", 1), ("t3", 2)]))
    }

    @Test func aTopicWithoutMetadataIsLeftOutAndEveryMemberAppears() {
        let assignment = RangeAssignor().assign(partitionCounts: [:], members: [Self.member("c0", ["gone"])])
        #expect(assignment == ["c0": []])
    }

    @Test func subscriptionBytesFollowTheSchemaAtVersionOne() throws {
        let bytes = ConsumerProtocol.encode(
            ConsumerProtocol.Subscription(topics: ["t"], ownedPartitions: [TopicPartition("t", 2)])
        )
        let expected: [UInt8] =
            [0, 1]  // version 1
            + [0, 0, 0, 1, 0, 1, 0x74]  // topics: ["t"]
            + [0xFF, 0xFF, 0xFF, 0xFF]  // user data: null
            + [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 2]  // owned: t → [2]
        #expect(bytes == expected)
        let decoded = try ConsumerProtocol.decodeSubscription(bytes)
        #expect(decoded.topics == ["t"])
        #expect(decoded.ownedPartitions == [TopicPartition("t", 2)])
    }

    @Test func assignmentsOfOlderAndNewerVersionsAreRead() throws {
        // Version 0 (librdkafka and old Java clients): topics then user data.
        let version0: [UInt8] = [0, 0] + [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0]
        #expect(try ConsumerProtocol.decodeAssignment(version0) == [TopicPartition("t", 0), TopicPartition("t", 1)])
        // A version this client does not know is read as the newest it knows (Kafka's forward compatibility).
        var future = ConsumerProtocol.encode(assignment: [TopicPartition("x", 5)])
        future[1] = 9
        #expect(try ConsumerProtocol.decodeAssignment(future) == [TopicPartition("x", 5)])
        #expect(try ConsumerProtocol.decodeAssignment([]) == [])
        #expect(throws: (any Error).self) { try ConsumerProtocol.decodeAssignment([0]) }
    }
}
