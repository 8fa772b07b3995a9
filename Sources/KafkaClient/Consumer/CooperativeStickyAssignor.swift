public import KafkaCore

/// Kafka's `CooperativeStickyAssignor` (KIP-429): a balanced assignment (members' counts differ by at most one
/// among members of the same subscription) that keeps every member's owned partitions where balance allows, and
/// that never moves a partition directly: a partition leaving its owner is left unassigned in this rebalance, the
/// owner revokes it, and the follow-up rebalance gives it to its new member. Members say what they own in the
/// subscription (ConsumerProtocol v1) and their generation in the user data (an Int32, as the Java client writes
/// it); the owned partitions of a member behind the newest generation are stale and not kept.
public struct CooperativeStickyAssignor: PartitionAssignor {
    public let name = "cooperative-sticky"
    public let javaClassName = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
    public var supportsCooperative: Bool { true }

    public init() {}

    /// The generation a member announces in its user data (Int32, big-endian); nil when it sent none.
    static func generation(of member: GroupMemberSubscription) -> Int32? {
        guard let data = member.subscription.userData, data.count == 4 else { return nil }
        return data.withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(as: Int32.self)) }
    }

    static func userData(generation: Int32) -> [UInt8] {
        withUnsafeBytes(of: generation.bigEndian) { Array($0) }
    }

    public func assign(
        partitionCounts: [String: Int32],
        members: [GroupMemberSubscription]
    ) -> [String: [TopicPartition]] {
        let sticky = stickyAssignment(partitionCounts: partitionCounts, members: members)
        // Cooperative: a partition someone else owns now is not handed over in this round.
        var owner: [TopicPartition: String] = [:]
        for member in validOwnership(members) {
            for partition in member.owned { owner[partition] = member.id }
        }
        return sticky.mapValues { partitions in partitions }.reduce(into: [:]) { result, entry in
            result[entry.key] = entry.value.filter { owner[$0] == nil || owner[$0] == entry.key }
        }
    }

    /// Each member's owned partitions that count: those of members at the newest generation, each partition kept
    /// by its first claimant in Java's member order.
    private func validOwnership(_ members: [GroupMemberSubscription]) -> [(id: String, owned: [TopicPartition])] {
        let newest = members.compactMap(Self.generation).max()
        var claimed: Set<TopicPartition> = []
        return members.sorted(by: GroupMemberSubscription.javaOrder).map { member in
            if let newest, let generation = Self.generation(of: member), generation < newest {
                return (member.memberID, [])
            }
            let owned = member.subscription.ownedPartitions.filter { claimed.insert($0).inserted }
            return (member.memberID, owned)
        }
    }

    /// The balanced assignment that keeps the most owned partitions.
    func stickyAssignment(
        partitionCounts: [String: Int32],
        members: [GroupMemberSubscription]
    ) -> [String: [TopicPartition]] {
        let ordered = members.sorted(by: GroupMemberSubscription.javaOrder)
        var subscribers: [String: [String]] = [:]  // topic → member ids
        for member in ordered {
            for topic in member.subscription.topics where partitionCounts[topic] != nil {
                subscribers[topic, default: []].append(member.memberID)
            }
        }
        let all = subscribers.keys.sorted().flatMap { topic in
            (0..<(partitionCounts[topic] ?? 0)).map { TopicPartition(topic, $0) }
        }
        let eligible = Dictionary(uniqueKeysWithValues: all.map { ($0, Set(subscribers[$0.topic] ?? [])) })
        var assignment = Dictionary(uniqueKeysWithValues: ordered.map { ($0.memberID, [TopicPartition]()) })
        var unassigned: [TopicPartition] = []
        let owned = Dictionary(uniqueKeysWithValues: validOwnership(members).map { ($0.id, $0.owned) })
        var ownerOf: [TopicPartition: String] = [:]
        for (member, partitions) in owned {
            for partition in partitions where eligible[partition]?.contains(member) == true {
                ownerOf[partition] = member
            }
        }
        // Members of one subscription share its partitions evenly: the first `extra` of them (in Java's order) may
        // hold one more. Each keeps what it owns up to its quota; the rest is dealt to those below it.
        let total = all.count
        let count = max(ordered.count, 1)
        let minQuota = total / count
        var atMax = total % count
        let uniform = Set(ordered.map { Set($0.subscription.topics.filter { partitionCounts[$0] != nil }) }).count <= 1
        for member in ordered {
            let mine = all.filter { ownerOf[$0] == member.memberID }
            var keep = mine.count
            if uniform {
                let quota = minQuota + (atMax > 0 && mine.count > minQuota ? 1 : 0)
                if quota > minQuota { atMax -= 1 }
                keep = min(mine.count, quota)
            }
            assignment[member.memberID] = Array(mine.prefix(keep))
            unassigned += mine.dropFirst(keep)
        }
        unassigned += all.filter { ownerOf[$0] == nil }
        unassigned.sort()
        // Deal the rest, each to the eligible member holding the fewest (Java's order breaks ties).
        for partition in unassigned {
            guard
                let target = ordered.filter({ eligible[partition]?.contains($0.memberID) == true })
                    .min(by: { assignment[$0.memberID]!.count < assignment[$1.memberID]!.count })
            else { continue }
            assignment[target.memberID]!.append(partition)
        }
        // Balance: move from the most loaded to the least loaded eligible member while they differ by two or more.
        var moved = true
        while moved {
            moved = false
            for partition in all {
                guard let from = assignment.first(where: { $0.value.contains(partition) })?.key,
                    let to = ordered.filter({ eligible[partition]?.contains($0.memberID) == true })
                        .min(by: { assignment[$0.memberID]!.count < assignment[$1.memberID]!.count })?.memberID,
                    assignment[from]!.count - assignment[to]!.count >= 2
                else { continue }
                assignment[from]!.removeAll { $0 == partition }
                assignment[to]!.append(partition)
                moved = true
            }
        }
        return assignment.mapValues { $0.sorted() }
    }
}
