import KafkaCore
import KafkaReplication
import Testing

/// The follower's side of replication against a scripted leader: catching up, truncation of a diverged log
/// (KIP-101/279), a log behind the leader's start, and errors that pause a partition.
@Suite("Replica fetcher")
struct ReplicaFetcherTests {
    @Test func anEmptyFollowerCopiesTheLeadersBatchesAndHighWatermark() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        follower.leader.append(epoch: 0)
        follower.leader.append(epoch: 0, count: 2)
        try follower.follow(leaderEpoch: 0)
        #expect(try await settle { follower.partition.log.logEndOffset == 5 && follower.partition.highWatermark == 5 })
        // New data on the leader arrives too.
        follower.leader.append(epoch: 0, count: 4)
        #expect(try await settle { follower.partition.log.logEndOffset == 9 })
        #expect(follower.fetchers.maxLag == 0)
    }

    @Test func aDivergedLogIsCutWhereTheLeadersEpochEnds() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        // Both have epoch 0 (0-2); the follower also wrote 3-8 in epoch 1 as a leader that lost leadership, while
        // the new leader's epoch 1 ended at 5 and it went on in epoch 2.
        follower.leader.append(epoch: 0)
        follower.leader.append(epoch: 1, count: 2)
        follower.leader.append(epoch: 2, count: 4)
        try follower.follow(leaderEpoch: 2, local: [(0, 3), (1, 6)])
        #expect(follower.partition.log.logEndOffset == 9)

        #expect(
            try await settle { follower.partition.log.logEndOffset == 9 && follower.partition.log.latestEpoch == 2 }
        )
        #expect(follower.leader.state.withLock(\.epochRequests) == [1])
        // Cut at 5 (the leader's end of epoch 1), then the leader's epoch 2 batch from 5.
        #expect(follower.leader.state.withLock(\.fetchOffsets).first == 5)
        #expect(follower.epochEnds([0, 1, 2]) == [0: 3, 1: 5, 2: 9])
    }

    @Test func aFollowerWithoutTheLeadersEpochAsksAgainWithAnOlderOne() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        // The leader knows epochs 0 (0-2) and 1 (3-7); the follower has epoch 0 to 4 and an epoch 2 the leader
        // never had.
        follower.leader.append(epoch: 0)
        follower.leader.append(epoch: 1, count: 5)
        try follower.follow(leaderEpoch: 3, local: [(0, 5), (2, 2)])

        #expect(try await settle { follower.partition.log.logEndOffset == 8 })
        // Asked for epoch 2, the leader answered with epoch 1 ending at 8: the follower, without epoch 1, cut to its
        // own end of epoch 0 (5) and asked again with epoch 0, which ends at 3 on the leader.
        #expect(follower.leader.state.withLock(\.epochRequests) == [2, 0])
        #expect(follower.leader.state.withLock(\.fetchOffsets).first == 3)
        #expect(follower.epochEnds([0, 1]) == [0: 3, 1: 8])
    }

    @Test func aFollowerBehindTheLeadersLogStartStartsAfresh() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        follower.leader.state.withLock { $0.logStartOffset = 100 }
        follower.leader.append(epoch: 4)
        try follower.follow(leaderEpoch: 4, local: [(0, 2)])

        #expect(try await settle { follower.partition.log.logEndOffset == 103 })
        #expect(follower.partition.log.logStartOffset == 100)
        #expect(follower.leader.state.withLock(\.fetchOffsets).contains(100))
    }

    @Test func aPartitionErrorPausesThePartitionAndItIsFetchedAgain() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        follower.leader.append(epoch: 0)
        follower.leader.state.withLock { $0.failNext = [.fencedLeaderEpoch, .notLeaderOrFollower] }
        try follower.follow(leaderEpoch: 0)

        #expect(try await settle { follower.partition.log.logEndOffset == 3 })
        let offsets = follower.leader.state.withLock(\.fetchOffsets)
        #expect(offsets.prefix(3) == [0, 0, 0])
    }

    @Test func removedPartitionsStopTheirFetcher() async throws {
        let follower = try FollowerHarness()
        defer { follower.stop() }
        follower.leader.append(epoch: 0)
        try follower.follow(leaderEpoch: 0)
        #expect(try await settle { follower.partition.log.logEndOffset == 3 })
        follower.fetchers.remove([follower.topicPartition])
        let fetches = follower.leader.state.withLock(\.fetchOffsets).count
        #expect(follower.leader.state.withLock(\.resets) == 1)
        follower.leader.append(epoch: 0)
        // Give a fetcher that kept going every chance to fetch and append the new batch.
        try await Task.sleep(for: .milliseconds(50))
        // At most the fetch that was in flight at the removal; its answer is dropped.
        #expect(follower.leader.state.withLock(\.fetchOffsets).count <= fetches + 1)
        #expect(follower.partition.log.logEndOffset == 3)
    }
}
