public import KafkaCore
import KafkaProtocol
public import KafkaStorage
import NIOCore

/// The fetch path (consumers and followers): which replica serves a consumer, how far each may read — followers to
/// the log end, read_uncommitted consumers to the high watermark, read_committed ones to the last stable offset,
/// with the aborted transactions overlapping what they get — and the long poll until `minBytes` arrive.
extension ReplicaManager {
    public struct FetchResult: Sendable {
        public var errorCode: KafkaErrorCode
        public var highWatermark: Int64 = -1
        public var lastStableOffset: Int64 = -1
        public var logStartOffset: Int64 = -1
        /// For read_committed fetches: the aborted transactions overlapping the records (empty without records);
        /// nil for the others.
        public var abortedTransactions: [AbortedTransaction]?
        public var records: FileSlice?
        /// The replica the consumer should read this partition from instead (KIP-392), or -1.
        public var preferredReadReplica: BrokerID = -1
    }

    /// How a consumer's fetch may be served (KIP-392): from a follower (Fetch v11+, the only versions that carry
    /// the client's metadata), and, on the leader, which replica to point it to (nil: read here).
    public struct ConsumerFetch: Sendable {
        public var fromFollowerAllowed: Bool
        /// Given the leader and the replicas holding the fetch offset, the one to read from (nil: the leader).
        public var selectReplica: (@Sendable (_ leader: BrokerID, [ReplicaView]) -> BrokerID?)?

        public init(
            fromFollowerAllowed: Bool,
            selectReplica: (@Sendable (BrokerID, [ReplicaView]) -> BrokerID?)? = nil
        ) {
            self.fromFollowerAllowed = fromFollowerAllowed
            self.selectReplica = selectReplica
        }

        public static let leaderOnly = ConsumerFetch(fromFollowerAllowed: false)
    }

    public struct FetchRequestPartition: Sendable {
        public var topicPartition: TopicPartition
        public var offset: Int64
        public var maxBytes: Int
        public var currentLeaderEpoch: Int32
        /// A follower's log start offset (-1 from consumers).
        public var logStartOffset: Int64

        public init(
            topicPartition: TopicPartition,
            offset: Int64,
            maxBytes: Int,
            currentLeaderEpoch: Int32 = -1,
            logStartOffset: Int64 = -1
        ) {
            self.topicPartition = topicPartition
            self.offset = offset
            self.maxBytes = maxBytes
            self.currentLeaderEpoch = currentLeaderEpoch
            self.logStartOffset = logStartOffset
        }
    }

    /// Reads the partitions, waiting up to `maxWait` for `minBytes`; `maxBytes` bounds the whole response (the
    /// first partition's first batch always comes whole). `replicaID` ≥ 0 is a follower broker; a consumer's
    /// `isolationLevel` 1 (read_committed) reads up to the last stable offset. The results are in `requests`' order.
    ///
    /// The partitions are looked up once per fetch (under one acquisition of the partitions' lock), not per
    /// round; one taken away meanwhile (StopReplica closes its waiters) is looked up again. A follower's session
    /// names every partition it follows from this leader on each fetch, so this is its cost per idle partition.
    public func fetch(
        _ requests: [FetchRequestPartition],
        replicaID: BrokerID = -1,
        isolationLevel: Int8 = 0,
        consumer: ConsumerFetch = .leaderOnly,
        maxWait: Duration,
        minBytes: Int,
        maxBytes: Int
    ) async -> [FetchResult] {
        let deadline = ContinuousClock.now + maxWait
        // A follower reads up to the log end, so only appends (and leadership changes) can give it more; a high
        // watermark it moved itself (or the other follower did) would wake it for nothing, as in Kafka, where a
        // follower learns the new high watermark with its next fetch.
        let changes: FetchWaiters.Changes = replicaID >= 0 ? .data : .all
        let topicPartitions = requests.lazy.map(\.topicPartition)
        var hosted = partitions(topicPartitions)
        while true {
            let wakeUp = registerWakeUp(on: &hosted, of: topicPartitions, for: changes)
            let results = read(
                requests,
                from: hosted,
                replicaID: replicaID,
                readCommitted: replicaID < 0 && isolationLevel == 1,
                consumer: consumer,
                maxBytes: maxBytes
            )
            let bytes = results.reduce(0) { $0 + ($1.records?.length ?? 0) }
            // Errors and redirections to another replica are answered at once, as Kafka does.
            let hasError = results.contains { $0.errorCode != .none || $0.preferredReadReplica >= 0 }
            if bytes >= minBytes || hasError || ContinuousClock.now >= deadline || Task.isCancelled {
                waiters.cancel(wakeUp)
                return results
            }
            await waiters.wait(wakeUp, until: deadline)
        }
    }

    private func read(
        _ requests: [FetchRequestPartition],
        from hosted: [Partition?],
        replicaID: BrokerID,
        readCommitted: Bool,
        consumer: ConsumerFetch,
        maxBytes: Int
    ) -> [FetchResult] {
        var results: [FetchResult] = []
        results.reserveCapacity(requests.count)
        var budget = maxBytes
        let fromFollower = replicaID >= 0
        for (request, partition) in zip(requests, hosted) {
            guard let partition else {
                results.append(FetchResult(errorCode: .unknownTopicOrPartition))
                continue
            }
            let check = partition.checkLeaderEpoch(
                request.currentLeaderEpoch,
                requireLeader: fromFollower || !consumer.fromFollowerAllowed
            )
            guard check == .none else {
                results.append(FetchResult(errorCode: check))
                continue
            }
            if !fromFollower, let select = consumer.selectReplica, partition.isLeader,
                let chosen = select(
                    brokerID,
                    partition.readableReplicas(fetchOffset: request.offset, nowMs: nowMs)
                ), chosen != brokerID
            {
                // Kafka's preferred read replica: no records, the consumer goes to `chosen`.
                results.append(
                    FetchResult(
                        errorCode: .none,
                        highWatermark: partition.highWatermark,
                        logStartOffset: partition.log.logStartOffset,
                        preferredReadReplica: chosen
                    )
                )
                continue
            }
            let log = partition.log
            let logEndOffset = log.logEndOffset
            var result = FetchResult(errorCode: .none, logStartOffset: log.logStartOffset)
            do {
                let limit = min(request.maxBytes, max(budget, 0))
                let upTo =
                    fromFollower ? logEndOffset : readCommitted ? partition.lastStableOffset : partition.highWatermark
                let data = try log.read(
                    from: request.offset,
                    maxBytes: limit,
                    upTo: upTo,
                    minOneMessage: budget == maxBytes
                )
                result.records = data.records
                budget -= data.sizeInBytes
                if readCommitted {
                    // Bounded by the last stable offset rather than the returned data's end: a few more entries
                    // than Kafka's, which the consumer ignores (it skips only batches an entry covers).
                    result.abortedTransactions =
                        data.records == nil
                        ? []
                        : try log.abortedTransactions(fetchOffset: request.offset, upperBoundOffset: upTo)
                }
            } catch {
                result.errorCode = error.errorCode
            }
            if fromFollower && result.errorCode == .none {
                let update = partition.updateFollowerFetchState(
                    replica: replicaID,
                    fetchOffset: request.offset,
                    followerLogStartOffset: request.logStartOffset,
                    leaderLogEndOffset: logEndOffset,
                    nowMs: nowMs
                )
                // Acks=all produces wait for the high watermark, DeleteRecords for the low one (which can move only
                // when a follower's log start does; the waiters check it).
                if update.highWatermarkMoved || update.logStartMoved {
                    partition.waiters.notify(.progress)
                }
                if let expansion = update.expansion { write(expansion, on: partition, reason: "expansion") }
            }
            result.highWatermark = partition.highWatermark
            result.lastStableOffset = partition.lastStableOffset
            results.append(result)
        }
        return results
    }
}
