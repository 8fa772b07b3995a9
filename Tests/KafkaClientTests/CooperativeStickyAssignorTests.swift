import KafkaCore
import Testing

@testable import KafkaClient

/// The cooperative-sticky assignor: balanced, sticky, and never handing a partition straight from one member to
/// another (KIP-429's two rebalances).
@Suite("Cooperative-sticky assignor")
struct CooperativeStickyAssignorTests {
    static func member(
        _ id: String,
        _ topics: [String],
        owns owned: [TopicPartition] = [],
        generation: Int32? = nil
    ) -> GroupMemberSubscription {
        GroupMemberSubscription(
            memberID: id,
            subscription: ConsumerProtocol.Subscription(
                topics: topics,
                ownedPartitions: owned,
                userData: generation.map { CooperativeStickyAssignor.userData(generation: $0) }
            )
        )
    }

    static func t(_ partitions: ClosedRange<Int32>, _ topic: String = "t") -> [TopicPartition] {
        partitions.map { TopicPartition(topic, $0) }
    }

    let assignor = CooperativeStickyAssignor()

    @Test func aNewGroupIsBalanced() {
        let assignment = assignor.assign(
            partitionCounts: ["t": 7],
            members: [Self.member("a", ["t"]), Self.member("b", ["t"]), Self.member("c", ["t"])]
        )
        #expect(assignment.values.map(\.count).sorted() == [2, 2, 3])
        #expect(Set(assignment.values.joined()) == Set(Self.t(0...6)))
    }

    @Test func aJoiningMemberGetsPartitionsOnlyAfterTheirOwnersGaveThemUp() {
        let counts: [String: Int32] = ["t": 6]
        // Round one: a and b keep two each and give one up; c gets nothing yet (it would be a direct move).
        let first = assignor.assign(
            partitionCounts: counts,
            members: [
                Self.member("a", ["t"], owns: Self.t(0...2), generation: 3),
                Self.member("b", ["t"], owns: Self.t(3...5), generation: 3),
                Self.member("c", ["t"]),
            ]
        )
        #expect(first["a"]?.count == 2 && first["b"]?.count == 2)
        #expect(Set(first["a"]!).isSubset(of: Self.t(0...2)) && Set(first["b"]!).isSubset(of: Self.t(3...5)))
        #expect(first["c"] == [])
        // Round two (the owners revoked): c gets the two partitions no one owns; a and b keep theirs.
        let second = assignor.assign(
            partitionCounts: counts,
            members: [
                Self.member("a", ["t"], owns: first["a"]!, generation: 4),
                Self.member("b", ["t"], owns: first["b"]!, generation: 4),
                Self.member("c", ["t"], generation: 4),
            ]
        )
        #expect(second["a"] == first["a"] && second["b"] == first["b"])
        #expect(Set(second["c"]!) == Set(Self.t(0...5)).subtracting(first["a"]! + first["b"]!))
    }

    @Test func partitionsClaimedFromAnOlderGenerationAreNotKept() {
        let assignment = assignor.assign(
            partitionCounts: ["t": 4],
            members: [
                Self.member("a", ["t"], owns: Self.t(0...1), generation: 5),
                Self.member("b", ["t"], owns: Self.t(0...3), generation: 4),
            ]
        )
        // b's claim on 0 and 1 is stale; a keeps them; 2 and 3 are no one's, so b may have them at once.
        #expect(assignment["a"] == Self.t(0...1))
        #expect(assignment["b"] == Self.t(2...3))
    }

    @Test func membersGetOnlyTopicsTheySubscribeTo() {
        let assignment = assignor.assign(
            partitionCounts: ["x": 2, "y": 4],
            members: [Self.member("a", ["x"]), Self.member("b", ["x", "y"])]
        )
        #expect(assignment["a"]!.allSatisfy { $0.topic == "x" })
        #expect(Set(assignment.values.joined()).count == 6)
        #expect(assignment["a"]!.count == 2 && assignment["b"]!.count == 4)
    }

    @Test func theGenerationTravelsAsJavasInt32UserData() {
        #expect(CooperativeStickyAssignor.userData(generation: 258) == [0, 0, 1, 2])
        #expect(CooperativeStickyAssignor.generation(of: Self.member("a", ["t"], generation: -1)) == -1)
        #expect(CooperativeStickyAssignor.generation(of: Self.member("a", ["t"])) == nil)
    }
}
