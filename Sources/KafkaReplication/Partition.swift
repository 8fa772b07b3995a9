public import KafkaCore
import KafkaProtocol
public import KafkaStorage
public import NIOCore
import Synchronization

/// One partition replica on this broker: its log, and the leadership state the controller gave it.
///
/// States: not yet assigned → leader (LeaderAndIsr names this broker) or follower (another broker); leader ↔
/// follower on later LeaderAndIsr with a higher leader epoch. As leader it tracks every follower's log end offset
/// from their fetches: the high watermark is the smallest log end offset in the ISR, a follower that has not caught
/// up for `replica.lag.time.max.ms` is proposed for removal from the ISR, one that reaches the high watermark (and
/// the start of the current leader epoch) is proposed for adding. The proposals are written to ZooKeeper by the
/// `ReplicaManager`, which reports back with `completeIsrUpdate`; only then does the ISR here change. As follower
/// its log takes the leader's batches unchanged and its high watermark follows the leader's. A mirror topic's leader
/// assigns no epoch of its own (its log keeps the source's). A lock guards the state; any thread may call.
public final class Partition: Sendable {
    public let topicPartition: TopicPartition
    let localBrokerID: BrokerID
    /// The replica's log, and its copy in another log directory while the replica moves there
    /// (`Partition+FutureLog`); the move replaces the log.
    struct Logs {
        var current: Log
        var future: Log?
    }

    let logs: Mutex<Logs>
    public var log: Log { logs.withLock { $0.current } }
    /// Held while batches are copied into the future log and while truncations reach both logs (taken after
    /// `producerStates` when both are), so a copy never lands beside a truncation.
    let moveLock = Mutex(())

    public struct State: Sendable, Equatable {
        public var leader: BrokerID = -1
        public var leaderEpoch: LeaderEpoch = -1
        public var isr: [BrokerID] = []
        public var replicas: [BrokerID] = []
        public var highWatermark: Int64 = 0
        /// The partition state znode's version from the controller (the token for the leader's ISR writes).
        public var zkVersion: Int32 = -1
        /// The log end offset when this broker became leader of `leaderEpoch`.
        var leaderEpochStartOffset: Int64 = 0
        /// This broker's current (or last) leadership: a number unique in the process, new each time it becomes
        /// leader after being follower (a controller's epoch bump keeps it), so an acks=all wait knows whether the
        /// leadership that appended its records still holds.
        var leaderTerm = 0
        /// The high watermark and ISR size when the last leadership ended: what its appends had reached,
        /// committed, when the leader moved away.
        var endedTermHighWatermark: Int64 = -1
        var endedTermIsrSize = 0
        var followers: [BrokerID: FollowerState] = [:]
        var isrUpdateInFlight = false
        /// The first offset of the earliest open transaction (published by `transactionsChanged`).
        var firstOpenTransactionOffset: Int64?
        /// Completed transactions whose markers may still be at or above the high watermark.
        var unreplicatedTransactions: [ProducerStateManager.CompletedTransaction] = []

        /// The first offset of a transaction that is open or whose marker is not yet below the high watermark.
        var firstUnstableOffset: Int64? {
            ([firstOpenTransactionOffset].compactMap { $0 } + unreplicatedTransactions.map(\.firstOffset)).min()
        }

        /// Forgets the completed transactions whose markers the high watermark has passed; returns whether any went.
        mutating func pruneReplicatedTransactions() -> Bool {
            guard unreplicatedTransactions.contains(where: { $0.lastOffset < highWatermark }) else { return false }
            unreplicatedTransactions.removeAll { $0.lastOffset < highWatermark }
            return true
        }

        /// Kafka's last stable offset: the first offset of the earliest transaction that is open or whose marker is
        /// not yet below the high watermark, bounded by the high watermark (equal to it without transactions).
        public var lastStableOffset: Int64 {
            var stable = min(firstOpenTransactionOffset ?? .max, highWatermark)
            for transaction in unreplicatedTransactions where transaction.lastOffset >= highWatermark {
                stable = min(stable, transaction.firstOffset)
            }
            return stable
        }
    }

    /// What the leader knows of one follower (Kafka's `Replica`).
    struct FollowerState: Sendable, Equatable {
        var logEndOffset: Int64 = -1
        /// From the follower's fetches (-1 until one says).
        var logStartOffset: Int64 = -1
        var lastCaughtUpTimeMs: Int64 = 0
        var lastFetchLeaderLogEndOffset: Int64 = -1
        var lastFetchTimeMs: Int64 = 0
    }

    /// What a LeaderAndIsr did to this replica.
    public enum Transition: Sendable, Equatable {
        case stale
        case unchanged
        case becameLeader
        /// Now (or still) following `leader`; `restartFetching` when the leader or its epoch changed.
        case becameFollower(leader: BrokerID, restartFetching: Bool)
    }

    /// An ISR change the leader wants written to the partition state znode.
    public struct IsrProposal: Sendable, Equatable {
        public var topicPartition: TopicPartition
        public var leader: BrokerID
        public var leaderEpoch: LeaderEpoch
        public var isr: [BrokerID]
        public var zkVersion: Int32
        /// Whether the ISR shrinks (replicas dropped for lagging) rather than expands.
        public var shrinks = false
    }

    let state: Mutex<State>
    /// The last `State.leaderTerm` given out, by any partition.
    static let leaderTerms = Atomic<Int>(0)
    /// Serialises appends (and truncations, and the move to another log directory) with the idempotence checks that
    /// decide them.
    let producerStates = Mutex(ProducerStateManager())
    /// The requests waiting for this partition to change (fetches, acks=all produces, DeleteRecords).
    let waiters = PartitionWaiters()

    public init(topicPartition: TopicPartition, log: Log, localBrokerID: BrokerID, highWatermark: Int64) {
        self.topicPartition = topicPartition
        self.logs = Mutex(Logs(current: log))
        self.localBrokerID = localBrokerID
        var initial = State()
        initial.highWatermark = min(highWatermark, log.logEndOffset)
        state = Mutex(initial)
        loadProducerState()
    }

    public var current: State { state.withLock { $0 } }
    public var isLeader: Bool { state.withLock { $0.leader == localBrokerID } }
    public var highWatermark: Int64 { state.withLock { $0.highWatermark } }
    public var lastStableOffset: Int64 { state.withLock { $0.lastStableOffset } }

    /// Applies a LeaderAndIsr decision. An older leader epoch is stale and changes nothing.
    @discardableResult
    public func apply(
        leader: BrokerID,
        leaderEpoch: LeaderEpoch,
        isr: [BrokerID],
        replicas: [BrokerID],
        zkVersion: Int32 = -1,
        nowMs: Int64 = 0
    )
        throws(StorageError) -> Transition
    {
        let becomesLeader = leader == localBrokerID
        let endOffset = log.logEndOffset
        let transition = state.withLock { state -> Transition in
            guard leaderEpoch >= state.leaderEpoch else { return .stale }
            let wasLeader = state.leader == localBrokerID
            let sameEpoch = leaderEpoch == state.leaderEpoch && leader == state.leader
            if sameEpoch && state.isr == isr && state.replicas == replicas && zkVersion <= state.zkVersion {
                return .unchanged
            }
            state.leader = leader
            state.leaderEpoch = leaderEpoch
            state.isr = isr
            state.replicas = replicas
            state.zkVersion = max(zkVersion, state.zkVersion)
            if becomesLeader {
                if !wasLeader { state.leaderTerm = Partition.leaderTerms.add(1, ordering: .relaxed).newValue }
                if !(wasLeader && sameEpoch) {
                    state.leaderEpochStartOffset = endOffset
                    state.followers = [:]
                    state.isrUpdateInFlight = false
                    for replica in replicas where replica != localBrokerID {
                        state.followers[replica] = FollowerState(
                            lastCaughtUpTimeMs: isr.contains(replica) ? nowMs : 0
                        )
                    }
                }
                return .becameLeader
            }
            if wasLeader {
                (state.endedTermHighWatermark, state.endedTermIsrSize) = (state.highWatermark, state.isr.count)
            }
            state.followers = [:]
            state.isrUpdateInFlight = false
            return .becameFollower(leader: leader, restartFetching: !sameEpoch || wasLeader)
        }
        if transition == .becameLeader {
            if log.config.mirrorLink.isEmpty { try log.assignEpochStartOffset(epoch: leaderEpoch) }
            _ = maybeIncrementHighWatermark()
        }
        return transition
    }

    // MARK: Leader

    /// Appends a producer's (or the broker's own) batches as leader. `requiredAcks` -1 needs
    /// `min.insync.replicas` in-sync replicas. A batch from an idempotent producer is checked against the producer's
    /// sequence first; a duplicate is answered with its original offsets and not written again.
    public func appendAsLeader(
        _ records: ByteBuffer,
        origin: AppendOrigin,
        requiredAcks: Int16
    ) throws(AppendError)
        -> LeaderAppend
    {
        let snapshot = current
        guard snapshot.leader == localBrokerID else { throw .notLeader }
        if requiredAcks == -1 && snapshot.isr.count < log.config.minInSyncReplicas {
            throw .notEnoughReplicas(isr: snapshot.isr.count, required: log.config.minInSyncReplicas)
        }
        var first = records
        let batch = try? RecordBatch.nextBatch(from: &first)
        let info = try producerStates.withLock {
            (producers: inout ProducerStateManager) throws(AppendError) -> LogAppendInfo in
            if let batch, batch.hasProducerID, batch.isControl, origin == .coordinator,
                let marker = batch.endTransactionMarker,
                let (code, message) = producers.checkMarker(
                    producerID: batch.producerID,
                    epoch: batch.producerEpoch,
                    coordinatorEpoch: marker.coordinatorEpoch
                )
            {
                throw .producerState(code, message)
            }
            // The broker's own transactional writes (offsets in a transaction) are not sequenced, but an older
            // producer epoch is fenced all the same.
            if let batch, batch.hasProducerID, !batch.isControl, origin == .coordinator,
                let entry = producers.producers[batch.producerID], batch.producerEpoch < entry.epoch
            {
                throw .producerState(
                    .invalidProducerEpoch,
                    "Producer epoch \(batch.producerEpoch) is older than the current epoch \(entry.epoch)"
                )
            }
            if let batch, batch.hasProducerID, origin == .client {
                switch producers.check(
                    producerID: batch.producerID,
                    epoch: batch.producerEpoch,
                    firstSequence: batch.baseSequence,
                    lastSequence: batch.lastSequence,
                    isTransactional: batch.isTransactional
                )
                {
                case .duplicate(let firstOffset):
                    return LogAppendInfo(
                        firstOffset: firstOffset,
                        lastOffset: firstOffset + Int64(batch.lastOffsetDelta),
                        maxTimestamp: -1,
                        offsetOfMaxTimestamp: -1,
                        logAppendTime: -1,
                        logStartOffset: log.logStartOffset,
                        batchCount: 0,
                        recordCount: 0,
                        validBytes: 0
                    )
                case .reject(let code, let message):
                    throw .producerState(code, message)
                case .append:
                    break
                }
            }
            let info: LogAppendInfo
            do throws(StorageError) {
                info = try log.append(records, origin: origin, leaderEpoch: snapshot.leaderEpoch)
            } catch {
                throw .storage(error)
            }
            if let base = info.rolledSegmentBaseOffset { snapshotAtRoll(producers, base: base) }
            if let batch, batch.hasProducerID {
                let opened = producers.producers[batch.producerID]?.currentTransactionFirstOffset == nil
                let completed = record(
                    batch,
                    firstOffset: info.firstOffset,
                    lastOffset: info.lastOffset,
                    timestamp: info.logAppendTime >= 0 ? info.logAppendTime : batch.maxTimestamp,
                    into: &producers
                )
                if batch.isControl || (batch.isTransactional && opened) {
                    transactionsChanged(producers, completed: completed.map { [$0] } ?? [])
                }
            }
            return info
        }
        _ = maybeIncrementHighWatermark()
        return LeaderAppend(
            info: info,
            replicationTarget: ReplicationTarget(offset: info.lastOffset + 1, leaderTerm: snapshot.leaderTerm)
        )
    }

    /// The high watermark rule: the smallest log end offset in the ISR (never moving back). Returns whether it moved.
    func maybeIncrementHighWatermark() -> Bool {
        let end = log.logEndOffset
        let (moved, unstable) = state.withLock { state -> (Bool, Int64??) in
            guard state.leader == localBrokerID else { return (false, nil) }
            var candidate = end
            for replica in state.isr where replica != localBrokerID {
                candidate = min(candidate, state.followers[replica]?.logEndOffset ?? -1)
            }
            guard candidate > state.highWatermark else { return (false, nil) }
            state.highWatermark = candidate
            return (true, state.pruneReplicatedTransactions() ? .some(state.firstUnstableOffset) : nil)
        }
        if let unstable { log.updateFirstUnstableOffset(unstable) }
        return moved
    }

    /// Whether an acks=all append is done: nil while waiting; NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the
    /// ISR shrank below `min.insync.replicas`, or NOT_LEADER_OR_FOLLOWER. Only the leadership that appended the
    /// records counts: once it has ended, the append is done if the high watermark had passed it by then (so of two
    /// appends the later is never acknowledged while the earlier fails), and failed otherwise — even if this broker
    /// leads again, since its records may have been replaced in between.
    public func checkEnoughReplicasReach(_ target: ReplicationTarget) -> KafkaErrorCode? {
        state.withLock { state in
            guard state.leaderTerm == target.leaderTerm else { return .notLeaderOrFollower }
            let leads = state.leader == localBrokerID
            let highWatermark = leads ? state.highWatermark : state.endedTermHighWatermark
            guard highWatermark >= target.offset else { return leads ? nil : .notLeaderOrFollower }
            let isrSize = leads ? state.isr.count : state.endedTermIsrSize
            return isrSize < log.config.minInSyncReplicas ? .notEnoughReplicasAfterAppend : KafkaErrorCode.none
        }
    }

    /// The epoch checks of a fetch or OffsetForLeaderEpoch carrying `currentLeaderEpoch` (-1: none given).
    public func checkLeaderEpoch(_ currentLeaderEpoch: Int32, requireLeader: Bool) -> KafkaErrorCode {
        state.withLock { state in
            if requireLeader && state.leader != localBrokerID { return .notLeaderOrFollower }
            if currentLeaderEpoch < 0 || currentLeaderEpoch == state.leaderEpoch { return KafkaErrorCode.none }
            return currentLeaderEpoch < state.leaderEpoch ? .fencedLeaderEpoch : .unknownLeaderEpoch
        }
    }

    /// The replicas a consumer fetching `fetchOffset` could read from (Kafka's `findPreferredReadReplica`): this
    /// leader, and each follower whose log holds that offset (in the ISR or not), with its log end offset and how
    /// long since it last caught up. Empty on a follower.
    public func readableReplicas(fetchOffset: Int64, nowMs: Int64) -> [ReplicaView] {
        state.withLock { state in
            guard state.leader == localBrokerID else { return [] }
            var views = [ReplicaView(broker: localBrokerID, logEndOffset: log.logEndOffset, timeSinceLastCaughtUpMs: 0)]
            for (broker, follower) in state.followers.sorted(by: { $0.key < $1.key })
            where follower.logEndOffset >= fetchOffset && follower.logStartOffset <= fetchOffset {
                views.append(
                    ReplicaView(
                        broker: broker,
                        logEndOffset: follower.logEndOffset,
                        timeSinceLastCaughtUpMs: nowMs - follower.lastCaughtUpTimeMs
                    )
                )
            }
            return views
        }
    }

    // MARK: Follower

    /// Appends the leader's batches unchanged (their offsets and epochs kept) and remembers their producers, so
    /// that this replica, once leader, still recognises a producer's retries. Every batch is checked first, as
    /// Kafka's follower does (whole, magic 2, CRC-32C, a sane record count): one that fails refuses the whole
    /// fetch with `corruptRecords`, nothing appended, and the fetcher fetches the same offset again.
    public func appendAsFollower(_ records: ByteBuffer) throws(StorageError) -> LogAppendInfo {
        var remaining = records
        do {
            while let batch = try RecordBatch.nextBatch(from: &remaining) {
                try batch.validateHeader(maxSize: .max, fromClient: false)
            }
        } catch {
            throw .corruptRecords(
                "a batch from the leader at byte \(remaining.readerIndex - records.readerIndex): \(error)"
            )
        }
        return try producerStates.withLock {
            (producers: inout ProducerStateManager) throws(StorageError) -> LogAppendInfo in
            let info = try log.append(records, origin: .replication, leaderEpoch: -1)
            if let base = info.rolledSegmentBaseOffset { snapshotAtRoll(producers, base: base) }
            let recorded = recordProducers(in: records, into: &producers)
            if recorded.changed { transactionsChanged(producers, completed: recorded.completed) }
            return info
        }
    }

    /// A follower's high watermark: the leader's, bounded by what this replica holds.
    public func updateFollowerHighWatermark(_ leaderHighWatermark: Int64) {
        let end = log.logEndOffset
        let unstable = state.withLock { state -> Int64?? in
            guard state.leader != localBrokerID else { return nil }
            state.highWatermark = min(leaderHighWatermark, end)
            return state.pruneReplicatedTransactions() ? .some(state.firstUnstableOffset) : nil
        }
        if let unstable { log.updateFirstUnstableOffset(unstable) }
    }

    /// Removes everything from `offset` on (a diverged follower), with the producer state that described it.
    public func truncate(to offset: Int64) throws(StorageError) {
        try producerStates.withLock { (producers: inout ProducerStateManager) throws(StorageError) in
            try moveLock.withLock { _ throws(StorageError) in
                try log.truncate(to: offset)
                if let future = futureLog, future.logEndOffset > offset { try future.truncate(to: offset) }
            }
            reloadProducerState(&producers, truncatedTo: offset)
        }
        state.withLock { $0.highWatermark = min($0.highWatermark, offset) }
    }

    /// Starts the log afresh at `offset` (a follower behind the leader's log start).
    public func truncateFully(startingAt offset: Int64) throws(StorageError) {
        try producerStates.withLock { (producers: inout ProducerStateManager) throws(StorageError) in
            try moveLock.withLock { _ throws(StorageError) in
                try log.truncateFully(startingAt: offset)
                try futureLog?.truncateFully(startingAt: offset)
            }
            producers = ProducerStateManager()
            deleteProducerSnapshots()
            transactionsChanged(producers, completed: [], reset: true)
        }
        state.withLock { $0.highWatermark = offset }
    }

    public enum AppendError: Error, Sendable {
        case notLeader
        case notEnoughReplicas(isr: Int, required: Int)
        case storage(StorageError)
        case producerState(KafkaErrorCode, String)

        public var errorCode: KafkaErrorCode {
            switch self {
            case .notLeader: .notLeaderOrFollower
            case .notEnoughReplicas: .notEnoughReplicas
            case .storage(let error): error.errorCode
            case .producerState(let code, _): code
            }
        }
    }
}
