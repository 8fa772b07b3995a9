public import KafkaCore

/// A group member as the leader's assignor sees it: its ids and its subscription (JoinGroup's answer to the
/// leader).
public struct GroupMemberSubscription: Sendable, Equatable {
    public var memberID: String
    public var groupInstanceID: String?
    public var subscription: ConsumerProtocol.Subscription

    public init(memberID: String, groupInstanceID: String? = nil, subscription: ConsumerProtocol.Subscription) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.subscription = subscription
    }

    /// The Java client's member order (`AbstractPartitionAssignor.MemberInfo`): static members by instance id
    /// first, then dynamic members by member id. Assignors walk members in this order, so every client of a
    /// group computes the same assignment.
    static func javaOrder(_ lhs: GroupMemberSubscription, _ rhs: GroupMemberSubscription) -> Bool {
        switch (lhs.groupInstanceID, rhs.groupInstanceID) {
        case (let left?, let right?): left < right
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): lhs.memberID < rhs.memberID
        }
    }
}

/// A partition assignment strategy, run by the group leader: from every member's subscription and each topic's
/// partition count, the partitions of each member. Its `name` is the protocol name sent in JoinGroup, so members of
/// different clients agree on it (`range`, `roundrobin`: the names the Java client and librdkafka use).
public protocol PartitionAssignor: Sendable {
    var name: String { get }
    /// The Java client's class for the strategy, accepted in `partition.assignment.strategy`.
    var javaClassName: String { get }
    /// Whether it assigns for Kafka's COOPERATIVE rebalance protocol (KIP-429): members keep their partitions
    /// through a rebalance and give up only those taken from them.
    var supportsCooperative: Bool { get }
    /// Each member id's partitions; every member is in the result, possibly with none.
    func assign(
        partitionCounts: [String: Int32],
        members: [GroupMemberSubscription]
    ) -> [String: [TopicPartition]]
}

extension PartitionAssignor {
    public var supportsCooperative: Bool { false }
}

/// The assignors this client knows, by name.
let knownAssignors: [any PartitionAssignor] = [RangeAssignor(), RoundRobinAssignor(), CooperativeStickyAssignor()]

/// Kafka's `RangeAssignor`: per topic, the members subscribed to it in Java's order each take a contiguous range
/// of its partitions; the first `partitions % members` take one more.
public struct RangeAssignor: PartitionAssignor {
    public let name = "range"
    public let javaClassName = "org.apache.kafka.clients.consumer.RangeAssignor"

    public init() {}

    public func assign(
        partitionCounts: [String: Int32],
        members: [GroupMemberSubscription]
    ) -> [String: [TopicPartition]] {
        var assignment = Dictionary(uniqueKeysWithValues: members.map { ($0.memberID, [TopicPartition]()) })
        let ordered = members.sorted(by: GroupMemberSubscription.javaOrder)
        let topics = Set(members.flatMap(\.subscription.topics)).sorted()
        for topic in topics {
            guard let count = partitionCounts[topic] else { continue }
            let subscribers = ordered.filter { $0.subscription.topics.contains(topic) }
            guard !subscribers.isEmpty else { continue }
            let perMember = Int(count) / subscribers.count
            let extra = Int(count) % subscribers.count
            for (index, member) in subscribers.enumerated() {
                let start = perMember * index + min(index, extra)
                let length = perMember + (index + 1 > extra ? 0 : 1)
                assignment[member.memberID, default: []] += (start..<start + length).map {
                    TopicPartition(topic, PartitionID($0))
                }
            }
        }
        return assignment
    }
}

/// Kafka's `RoundRobinAssignor`: every subscribed partition (topics by name, partitions in order) goes to the next
/// member in Java's order that subscribes to its topic, round and round.
public struct RoundRobinAssignor: PartitionAssignor {
    public let name = "roundrobin"
    public let javaClassName = "org.apache.kafka.clients.consumer.RoundRobinAssignor"

    public init() {}

    public func assign(
        partitionCounts: [String: Int32],
        members: [GroupMemberSubscription]
    ) -> [String: [TopicPartition]] {
        var assignment = Dictionary(uniqueKeysWithValues: members.map { ($0.memberID, [TopicPartition]()) })
        let ordered = members.sorted(by: GroupMemberSubscription.javaOrder)
        guard !ordered.isEmpty else { return assignment }
        let topics = Set(members.flatMap(\.subscription.topics)).sorted()
        var next = 0
        for topic in topics {
            guard let count = partitionCounts[topic] else { continue }
            for partition in 0..<count {
                // The next member (cyclically) that subscribes to the topic; someone does, it is in the set.
                while !ordered[next % ordered.count].subscription.topics.contains(topic) { next += 1 }
                assignment[ordered[next % ordered.count].memberID, default: []].append(TopicPartition(topic, partition))
                next += 1
            }
        }
        return assignment
    }
}
