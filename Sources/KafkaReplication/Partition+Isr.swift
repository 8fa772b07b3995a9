public import KafkaCore

/// A leader's view of its followers, from their fetches: their log ends and starts, when each last caught up, and
/// the ISR changes that follow (expansions and shrinks proposed here, written by `ReplicaManager`, applied back with
/// `completeIsrUpdate`). Under the partition's state lock, as the rest of `Partition`.
extension Partition {
    /// A follower fetched from `fetchOffset` while this leader's log ended at `leaderLogEndOffset` (Kafka's
    /// `updateFollowerFetchState`). Returns whether the high watermark moved (looked at only when the follower's log
    /// end moved: an idle partition in a follower's session costs one lock), whether the follower's log start moved
    /// (the low watermark may have), and an ISR expansion to write when the follower has caught up.
    public func updateFollowerFetchState(
        replica: BrokerID,
        fetchOffset: Int64,
        followerLogStartOffset: Int64 = -1,
        leaderLogEndOffset: Int64,
        nowMs: Int64
    ) -> (highWatermarkMoved: Bool, logStartMoved: Bool, expansion: IsrProposal?) {
        let (moved, startMoved, expansion) = state.withLock { state -> (Bool, Bool, IsrProposal?) in
            guard state.leader == localBrokerID, var follower = state.followers[replica] else {
                return (false, false, nil)
            }
            let moved = follower.logEndOffset != fetchOffset
            let startMoved = followerLogStartOffset >= 0 && follower.logStartOffset != followerLogStartOffset
            if followerLogStartOffset >= 0 { follower.logStartOffset = followerLogStartOffset }
            if fetchOffset >= leaderLogEndOffset {
                follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, nowMs)
            } else if fetchOffset >= follower.lastFetchLeaderLogEndOffset {
                follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, follower.lastFetchTimeMs)
            }
            follower.logEndOffset = fetchOffset
            follower.lastFetchLeaderLogEndOffset = leaderLogEndOffset
            follower.lastFetchTimeMs = nowMs
            state.followers[replica] = follower
            guard !state.isr.contains(replica), !state.isrUpdateInFlight,
                state.replicas.contains(replica),
                fetchOffset >= state.highWatermark, fetchOffset >= state.leaderEpochStartOffset
            else { return (moved, startMoved, nil) }
            state.isrUpdateInFlight = true
            let expansion = IsrProposal(
                topicPartition: topicPartition,
                leader: state.leader,
                leaderEpoch: state.leaderEpoch,
                isr: state.isr + [replica],
                zkVersion: state.zkVersion
            )
            return (moved, startMoved, expansion)
        }
        return (moved && maybeIncrementHighWatermark(), startMoved, expansion)
    }

    /// The followers in the ISR that have not caught up within `maxLagMs` (Kafka's `getOutOfSyncReplicas`), as an
    /// ISR shrink to write; nil when every follower keeps up or another ISR write is in flight.
    public func isrShrinkProposal(nowMs: Int64, maxLagMs: Int64) -> IsrProposal? {
        state.withLock { state -> IsrProposal? in
            guard state.leader == localBrokerID, !state.isrUpdateInFlight else { return nil }
            let outOfSync = state.isr.filter { replica in
                guard replica != localBrokerID else { return false }
                guard let follower = state.followers[replica] else { return true }
                return nowMs - follower.lastCaughtUpTimeMs > maxLagMs
            }
            guard !outOfSync.isEmpty else { return nil }
            state.isrUpdateInFlight = true
            return IsrProposal(
                topicPartition: topicPartition,
                leader: state.leader,
                leaderEpoch: state.leaderEpoch,
                isr: state.isr.filter { !outOfSync.contains($0) },
                zkVersion: state.zkVersion,
                shrinks: true
            )
        }
    }

    /// The outcome of writing `proposal`: the znode's new version, or nil when the znode had changed (the
    /// controller decided something newer; its LeaderAndIsr will follow). Returns whether the high watermark moved.
    public func completeIsrUpdate(_ proposal: IsrProposal, newZkVersion: Int32?) -> Bool {
        state.withLock { state in
            guard state.leaderEpoch == proposal.leaderEpoch, state.leader == localBrokerID else { return }
            state.isrUpdateInFlight = false
            guard let newZkVersion else { return }
            state.isr = proposal.isr
            state.zkVersion = newZkVersion
        }
        return maybeIncrementHighWatermark()
    }
}
