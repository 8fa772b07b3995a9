import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import Logging
import Synchronization
import Testing

@testable import KafkaCoordinator

/// Committed offsets in memory: a unit-test stand-in for the ZooKeeper and topic stores (which the interop suite
/// checks with real clients).
final class MemoryOffsetStore: OffsetStore {
    let offsets = Mutex<[String: [TopicPartition: CommittedOffset]]>([:])

    func commit(group: String, offsets committed: [TopicPartition: CommittedOffset]) async throws {
        offsets.withLock { $0[group, default: [:]].merge(committed) { $1 } }
    }

    func fetch(group: String, partitions: [TopicPartition]?) async throws -> [TopicPartition: CommittedOffset] {
        let all = offsets.withLock { $0[group] ?? [:] }
        return partitions.map { wanted in all.filter { wanted.contains($0.key) } } ?? all
    }

    func delete(group: String, partitions: [TopicPartition]?) async throws {
        offsets.withLock { offsets in
            guard let partitions else { return offsets[group] = nil }
            for partition in partitions { offsets[group]?.removeValue(forKey: partition) }
        }
    }

    func expirableGroups() -> [String] { offsets.withLock { Array($0.keys) } }

    /// Every group record written, in order (nil: a tombstone).
    let groupRecords = Mutex<[(String, GroupMetadataValue?)]>([])

    func storeGroup(_ group: String, _ value: GroupMetadataValue?) async throws {
        groupRecords.withLock { $0.append((group, value)) }
    }
}

@Suite("Group coordinator")
struct GroupCoordinatorTests {
    let clock = ManualClock()

    let store = MemoryOffsetStore()

    func coordinator() -> GroupCoordinator {
        GroupCoordinator(
            configuration: .init(initialRebalanceDelayMs: 50),
            offsetStore: store,
            clock: clock,
            logger: Logger(label: "test")
        )
    }

    func join(
        _ coordinator: GroupCoordinator,
        _ memberID: String = "",
        metadata: [UInt8] = [1],
        v4: Bool = false,
        rebalanceTimeoutMs: Int32 = 5_000
    ) async -> GroupCoordinator.JoinResult {
        await coordinator.join(
            groupID: "g",
            memberID: memberID,
            groupInstanceID: nil,
            clientID: "client",
            clientHost: "/127.0.0.1",
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: rebalanceTimeoutMs,
            protocolType: "consumer",
            protocols: [(name: "range", metadata: metadata)],
            requireKnownMemberID: v4
        )
    }

    @Test("JoinGroup v4+ asks for a member id first, then the member leads generation 1")
    func memberIDRequired() async {
        let coordinator = coordinator()
        let first = await join(coordinator, v4: true)
        #expect(first.errorCode == .memberIDRequired)
        #expect(first.memberID.hasPrefix("client-"))
        let second = await join(coordinator, first.memberID, metadata: [7, 7], v4: true)
        #expect(second.errorCode == .none)
        #expect(second.generationID == 1)
        #expect(second.leaderID == first.memberID)
        #expect(second.protocolName == "range")
        #expect(second.members.map(\.memberID) == [first.memberID])
        #expect(second.members.map(\.metadata) == [[7, 7]])
        // An id the coordinator never handed out is refused.
        #expect(await join(coordinator, "client-forged", v4: true).errorCode == .unknownMemberID)
    }

    @Test("Two members join one generation; SyncGroup relays the leader's assignment to each")
    func joinAndSync() async {
        let coordinator = coordinator()
        async let a = join(coordinator, metadata: [1])
        async let b = join(coordinator, metadata: [2])
        let (joinA, joinB) = await (a, b)
        #expect(joinA.errorCode == .none && joinB.errorCode == .none)
        #expect(joinA.generationID == 1 && joinB.generationID == 1)
        #expect(joinA.leaderID == joinB.leaderID)
        let (leader, follower) = joinA.memberID == joinA.leaderID ? (joinA, joinB) : (joinB, joinA)
        #expect(leader.members.count == 2)
        #expect(follower.members.isEmpty)
        async let followerSync = coordinator.sync(
            groupID: "g",
            generationID: 1,
            memberID: follower.memberID,
            assignments: [:]
        )
        try? await Task.sleep(for: .milliseconds(20))
        let leaderSync = await coordinator.sync(
            groupID: "g",
            generationID: 1,
            memberID: leader.memberID,
            assignments: [leader.memberID: [0xA], follower.memberID: [0xB]]
        )
        #expect(leaderSync.assignment == [0xA])
        #expect(await followerSync.assignment == [0xB])
        #expect(await coordinator.describe("g")?.state == .stable)
    }

    @Test("Generations fence stale members: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS")
    func fencing() async {
        let coordinator = coordinator()
        async let a = join(coordinator)
        async let b = join(coordinator)
        let (joinA, joinB) = await (a, b)
        let leader = joinA.memberID == joinA.leaderID ? joinA : joinB
        let other = leader.memberID == joinA.memberID ? joinB : joinA
        _ = await coordinator.sync(groupID: "g", generationID: 1, memberID: leader.memberID, assignments: [:])
        #expect(await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: other.memberID) == .none)
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 0, memberID: other.memberID) == .illegalGeneration
        )
        #expect(await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: "nobody") == .unknownMemberID)
        // The leader's session runs out: the other member is told to rejoin, and the leader is gone.
        clock.advance(by: 5_000)
        #expect(await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: other.memberID) == .none)
        clock.advance(by: 6_000)
        await coordinator.expireMembers()
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: leader.memberID) == .unknownMemberID
        )
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: other.memberID) == .rebalanceInProgress
        )
        let commit = await coordinator.commitOffsets(
            groupID: "g",
            generationID: 0,
            memberID: other.memberID,
            offsets: [TopicPartition("t", 0): CommittedOffset(offset: 5, commitTimestamp: 0)]
        )
        #expect(commit == .illegalGeneration)
        let rejoined = await join(coordinator, other.memberID)
        #expect(rejoined.generationID == 2)
        #expect(rejoined.leaderID == other.memberID)
    }

    /// Kafka's join phase waits for every known member up to the rebalance timeout (the largest
    /// max.poll.interval.ms): a member whose application is busy keeps heartbeating (REBALANCE_IN_PROGRESS) and keeps
    /// its place past its session timeout; one that stops heartbeating is dropped after its session timeout.
    @Test("A member heartbeating through a rebalance keeps its place until it rejoins")
    func heartbeatsKeepAMemberThroughARebalance() async throws {
        let coordinator = coordinator()
        let first = await join(coordinator, rebalanceTimeoutMs: 600_000)
        _ = await coordinator.sync(
            groupID: "g",
            generationID: 1,
            memberID: first.memberID,
            assignments: [first.memberID: [1]]
        )
        let newcomer = Task { await join(coordinator, metadata: [2], rebalanceTimeoutMs: 600_000) }
        for _ in 0..<1000 where await coordinator.describe("g")?.state != .preparingRebalance {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await coordinator.describe("g")?.state == .preparingRebalance)
        // 16 s of heartbeats, past the 10 s session timeout: the busy member stays, the join phase waits for it.
        for _ in 0..<4 {
            clock.advance(by: 4_000)
            #expect(
                await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: first.memberID)
                    == .rebalanceInProgress
            )
            await coordinator.expireMembers()
        }
        #expect(await coordinator.describe("g")?.members.count == 2)
        #expect(await coordinator.describe("g")?.state == .preparingRebalance)
        let rejoined = await join(coordinator, first.memberID, rebalanceTimeoutMs: 600_000)
        let joined = await newcomer.value
        #expect(rejoined.generationID == 2 && joined.generationID == 2)
        #expect(rejoined.leaderID == first.memberID)

        // Generation 2 is syncing; a third member arrives and the first stops heartbeating: after its session
        // timeout it is dropped and the rebalance completes without it.
        _ = await coordinator.sync(
            groupID: "g",
            generationID: 2,
            memberID: first.memberID,
            assignments: [first.memberID: [1], joined.memberID: [2]]
        )
        let third = Task { await join(coordinator, metadata: [3], rebalanceTimeoutMs: 600_000) }
        for _ in 0..<1000 where await coordinator.describe("g")?.state != .preparingRebalance {
            try await Task.sleep(for: .milliseconds(1))
        }
        let secondRejoin = Task { await join(coordinator, joined.memberID, metadata: [2], rebalanceTimeoutMs: 600_000) }
        clock.advance(by: 10_001)
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 2, memberID: joined.memberID)
                == .rebalanceInProgress
        )
        await coordinator.expireMembers()
        let (thirdJoined, secondJoined) = await (third.value, secondRejoin.value)
        #expect(thirdJoined.generationID == 3 && secondJoined.generationID == 3)
        #expect(await coordinator.describe("g")?.members.map(\.0).contains(first.memberID) == false)
    }

    /// Issue 15 item 4(b). A consumer over max.poll.interval.ms (librdkafka, the Java client) sends LeaveGroup and,
    /// at its next poll, joins again without a member id: MEMBER_ID_REQUIRED, then JoinGroup with the id. Kafka 2.8
    /// counts a member that was handed an id as expected (`hasAllMembersJoined` needs `pendingMembers` empty), so the
    /// others, rejoining meanwhile, wait for it: one rebalance for them, not one without it and another with it. A
    /// member that never comes back with its id is forgotten after its session timeout and the others go on.
    @Test("A member back from max.poll.interval.ms rejoins in the rebalance its leaving started")
    func aMemberBackFromAPollTimeoutCostsTheOthersOneRebalance() async throws {
        let coordinator = coordinator()
        func joinV4(_ metadata: [UInt8]) async -> GroupCoordinator.JoinResult {
            let first = await join(coordinator, metadata: metadata, v4: true)
            return await join(coordinator, first.memberID, metadata: metadata, v4: true)
        }
        async let a = joinV4([1])
        async let b = joinV4([2])
        let (joinA, joinB) = await (a, b)
        #expect(joinA.generationID == 1 && joinB.generationID == 1)
        let leader = [joinA, joinB].first { $0.memberID == $0.leaderID }!
        _ = await coordinator.sync(groupID: "g", generationID: 1, memberID: leader.memberID, assignments: [:])
        #expect(await coordinator.describe("g")?.state == .stable)

        // A's poll timeout: it leaves; B learns of the rebalance from its heartbeat.
        #expect(await coordinator.leave(groupID: "g", memberIDs: [joinA.memberID]) == [joinA.memberID: .none])
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: joinB.memberID)
                == .rebalanceInProgress
        )
        // A polls again: asked for an id; B's rejoin arrives before A's second JoinGroup and waits for it.
        let asked = await join(coordinator, metadata: [1], v4: true)
        #expect(asked.errorCode == .memberIDRequired)
        let rejoinB = Task { await join(coordinator, joinB.memberID, metadata: [2], v4: true) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await coordinator.describe("g")?.state == .preparingRebalance, "B waits for the member it expects")
        let rejoinA = await join(coordinator, asked.memberID, metadata: [1], v4: true)
        let rejoinedB = await rejoinB.value
        #expect(rejoinA.generationID == 2 && rejoinedB.generationID == 2)
        let leaderAnswer = [rejoinA, rejoinedB].first { $0.memberID == $0.leaderID }!
        #expect(Set(leaderAnswer.members.map(\.memberID)) == [asked.memberID, joinB.memberID])
        _ = await coordinator.sync(groupID: "g", generationID: 2, memberID: leaderAnswer.memberID, assignments: [:])

        // A member that never returns with its id: the others' rejoin completes once its session timeout passes.
        #expect(await coordinator.leave(groupID: "g", memberIDs: [asked.memberID]) == [asked.memberID: .none])
        #expect(await join(coordinator, metadata: [1], v4: true).errorCode == .memberIDRequired)
        let alone = Task { await join(coordinator, joinB.memberID, metadata: [2], v4: true) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await coordinator.describe("g")?.state == .preparingRebalance)
        clock.advance(by: 10_001)
        await coordinator.expireMembers()
        let aloneJoined = await alone.value
        #expect(aloneJoined.generationID == 3 && aloneJoined.leaderID == joinB.memberID)
        #expect(aloneJoined.members.map(\.memberID) == [joinB.memberID])
    }

    @Test("A member that leaves ends its group's generation; the group becomes Empty")
    func leave() async {
        let coordinator = coordinator()
        let joined = await join(coordinator)
        #expect(
            await coordinator.leave(groupID: "g", memberIDs: [joined.memberID, "nobody"])
                == [joined.memberID: .none, "nobody": .unknownMemberID]
        )
        #expect(await coordinator.describe("g")?.state == .empty)
        #expect(await coordinator.describe("g")?.members.isEmpty == true)
    }

    @Test("Commits: members of the current generation and standalone consumers of a memberless group")
    func commits() async {
        let coordinator = coordinator()
        let partition = TopicPartition("t", 0)
        let standalone = await coordinator.commitOffsets(
            groupID: "solo",
            generationID: -1,
            memberID: "",
            offsets: [partition: CommittedOffset(offset: 9, commitTimestamp: 1)]
        )
        #expect(standalone == .none)
        #expect(await coordinator.fetchOffsets(groupID: "solo", partitions: nil)?[partition]?.offset == 9)
        let member = await join(coordinator)
        _ = await coordinator.sync(groupID: "g", generationID: 1, memberID: member.memberID, assignments: [:])
        let good = await coordinator.commitOffsets(
            groupID: "g",
            generationID: 1,
            memberID: member.memberID,
            offsets: [partition: CommittedOffset(offset: 3, commitTimestamp: 1)]
        )
        #expect(good == .none)
        let outsider = await coordinator.commitOffsets(
            groupID: "g",
            generationID: -1,
            memberID: "",
            offsets: [partition: CommittedOffset(offset: 4, commitTimestamp: 1)]
        )
        #expect(outsider == .unknownMemberID)
        #expect(await coordinator.fetchOffsets(groupID: "g", partitions: [partition])?[partition]?.offset == 3)
    }

    /// ConsumerProtocol subscription v0 to the given topics.
    static func subscription(_ topics: [String]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0, 0, UInt8(topics.count)]
        for topic in topics { bytes += [0, UInt8(topic.utf8.count)] + Array(topic.utf8) }
        return bytes + [0xFF, 0xFF, 0xFF, 0xFF]
    }

    @Test("A stable group is written as a record and rebuilt from it by the next coordinator")
    func groupRecords() async throws {
        let first = coordinator()
        let member = await join(first, metadata: Self.subscription(["t"]))
        _ = await first.sync(
            groupID: "g",
            generationID: 1,
            memberID: member.memberID,
            assignments: [member.memberID: [9]]
        )
        try await Task.sleep(for: .milliseconds(50))
        let records = store.groupRecords.withLock { $0 }
        let record = try #require(records.last?.1)
        #expect(records.last?.0 == "g")
        #expect(record.generation == 1 && record.protocolType == "consumer" && record.protocol == "range")
        #expect(record.leader == member.memberID)
        #expect(record.members.map(\.memberID) == [member.memberID])
        #expect(record.members.first?.assignment == [9])
        #expect(record.members.first?.subscription == Self.subscription(["t"]))

        let second = coordinator()
        await second.restore(["g": record])
        #expect(await second.heartbeat(groupID: "g", generationID: 1, memberID: member.memberID) == .none)
        #expect(await second.describe("g")?.state == .stable)
        let sync = await second.sync(groupID: "g", generationID: 1, memberID: member.memberID, assignments: [:])
        #expect(sync.assignment == [9])
    }

    @Test("DeleteGroups and OffsetDelete: NON_EMPTY_GROUP, GROUP_SUBSCRIBED_TO_TOPIC, GROUP_ID_NOT_FOUND")
    func deletion() async throws {
        let coordinator = coordinator()
        let member = await join(coordinator, metadata: Self.subscription(["t"]))
        _ = await coordinator.sync(groupID: "g", generationID: 1, memberID: member.memberID, assignments: [:])
        let offsets = [
            TopicPartition("t", 0): CommittedOffset(offset: 1, commitTimestamp: 0),
            TopicPartition("other", 0): CommittedOffset(offset: 2, commitTimestamp: 0),
        ]
        #expect(
            await coordinator.commitOffsets(groupID: "g", generationID: 1, memberID: member.memberID, offsets: offsets)
                == .none
        )
        #expect(await coordinator.deleteGroups(["g", "never"]) == ["g": .nonEmptyGroup, "never": .groupIDNotFound])
        let (error, results) = await coordinator.deleteOffsets(
            groupID: "g",
            partitions: [TopicPartition("t", 0), TopicPartition("other", 0)]
        )
        #expect(error == .none)
        #expect(results == [TopicPartition("t", 0): .groupSubscribedToTopic, TopicPartition("other", 0): .none])
        #expect(
            await coordinator.fetchOffsets(groupID: "g", partitions: nil)?.keys.sorted() == [TopicPartition("t", 0)]
        )
        _ = await coordinator.leave(groupID: "g", memberIDs: [member.memberID])
        #expect(await coordinator.deleteGroups(["g"]) == ["g": .none])
        #expect(await coordinator.fetchOffsets(groupID: "g", partitions: nil)?.isEmpty == true)
        #expect(await coordinator.describe("g") == nil)
        try await Task.sleep(for: .milliseconds(50))
        let last = store.groupRecords.withLock { $0.last }
        #expect(last?.0 == "g" && last?.1 == nil)
    }

    @Test("Offsets expire after offsets.retention.minutes: from the commit, or from when the group became Empty")
    func expiry() async throws {
        let coordinator = coordinator()
        let retention: Int64 = 60_000
        let partition = TopicPartition("t", 0)
        let other = TopicPartition("other", 0)
        // A standalone consumer's offset counts from its commit.
        _ = await coordinator.commitOffsets(
            groupID: "solo",
            generationID: -1,
            memberID: "",
            offsets: [partition: CommittedOffset(offset: 1, commitTimestamp: clock.milliseconds)]
        )
        // A member subscribed to "t" keeps that topic's offsets; its offset of "other" expires from the commit.
        let member = await join(coordinator, metadata: Self.subscription(["t"]))
        _ = await coordinator.sync(groupID: "g", generationID: 1, memberID: member.memberID, assignments: [:])
        _ = await coordinator.commitOffsets(
            groupID: "g",
            generationID: 1,
            memberID: member.memberID,
            offsets: [
                partition: CommittedOffset(offset: 5, commitTimestamp: clock.milliseconds),
                other: CommittedOffset(offset: 6, commitTimestamp: clock.milliseconds),
            ]
        )
        clock.advance(by: retention)
        await coordinator.expireOffsets(retentionMs: retention)
        #expect(await coordinator.fetchOffsets(groupID: "solo", partitions: nil)?.count == 1)
        clock.advance(by: 1)
        _ = await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: member.memberID)
        await coordinator.expireOffsets(retentionMs: retention)
        #expect(await coordinator.fetchOffsets(groupID: "solo", partitions: nil)?.isEmpty == true)
        #expect(await coordinator.fetchOffsets(groupID: "g", partitions: nil)?.keys.sorted() == [partition])
        // Once the group is Empty, its remaining offsets expire a retention period later, and the group goes.
        _ = await coordinator.leave(groupID: "g", memberIDs: [member.memberID])
        clock.advance(by: retention)
        await coordinator.expireOffsets(retentionMs: retention)
        #expect(await coordinator.fetchOffsets(groupID: "g", partitions: nil)?.keys.sorted() == [partition])
        clock.advance(by: 1)
        await coordinator.expireOffsets(retentionMs: retention)
        #expect(await coordinator.fetchOffsets(groupID: "g", partitions: nil)?.isEmpty == true)
        #expect(await coordinator.describe("g") == nil)
    }

    @Test("A restarted static member (group.instance.id) takes its place back without a rebalance")
    func staticMembership() async {
        let coordinator = coordinator()
        func joinStatic(_ memberID: String = "") async -> GroupCoordinator.JoinResult {
            await coordinator.join(
                groupID: "g",
                memberID: memberID,
                groupInstanceID: "instance-a",
                clientID: "client",
                clientHost: "/127.0.0.1",
                sessionTimeoutMs: 10_000,
                rebalanceTimeoutMs: 5_000,
                protocolType: "consumer",
                protocols: [(name: "range", metadata: [1])],
                requireKnownMemberID: true
            )
        }
        let first = await joinStatic()
        #expect(first.errorCode == .none)  // no MEMBER_ID_REQUIRED round trip for static members
        #expect(first.generationID == 1)
        _ = await coordinator.sync(
            groupID: "g",
            generationID: 1,
            memberID: first.memberID,
            assignments: [first.memberID: [4]]
        )

        let restarted = await joinStatic()
        #expect(restarted.errorCode == .none)
        #expect(restarted.memberID != first.memberID)
        #expect(restarted.generationID == 1)
        #expect(restarted.leaderID == first.memberID)  // the old leader id: the member does not reassign
        #expect(restarted.members.isEmpty)
        #expect(await coordinator.describe("g")?.state == .stable)
        let sync = await coordinator.sync(groupID: "g", generationID: 1, memberID: restarted.memberID, assignments: [:])
        #expect(sync.assignment == [4])
        #expect(
            await coordinator.heartbeat(groupID: "g", generationID: 1, memberID: first.memberID) == .unknownMemberID
        )
        #expect(await joinStatic(first.memberID).errorCode == .fencedInstanceID)
        #expect(
            await coordinator.heartbeat(
                groupID: "g",
                generationID: 1,
                memberID: first.memberID,
                groupInstanceID: "instance-a"
            )
                == .fencedInstanceID
        )
        #expect(
            await coordinator.heartbeat(
                groupID: "g",
                generationID: 1,
                memberID: restarted.memberID,
                groupInstanceID: "instance-a"
            ) == .none
        )
        #expect(
            await coordinator.leave(groupID: "g", members: [(memberID: "", groupInstanceID: "instance-a")]) == [.none]
        )
        #expect(await coordinator.describe("g")?.members.isEmpty == true)
    }

    @Test("group.max.size: a join beyond it gets GROUP_MAX_SIZE_REACHED")
    func maxSize() async {
        let coordinator = GroupCoordinator(
            configuration: .init(initialRebalanceDelayMs: 50, maxSize: 1),
            offsetStore: store,
            clock: clock,
            logger: Logger(label: "test")
        )
        let first = await join(coordinator)
        #expect(first.errorCode == .none)
        #expect(await join(coordinator).errorCode == .groupMaxSizeReached)
        #expect(await join(coordinator, first.memberID).errorCode == .none)  // a member already in may rejoin
    }
}
