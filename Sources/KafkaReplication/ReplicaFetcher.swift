public import KafkaCore
import KafkaProtocol
public import KafkaStorage
public import Logging
public import NIOCore
import Synchronization

/// Kafka's `ReplicaFetcherThread`: one task per source broker, fetching every partition this broker follows there.
///
/// Lifecycle: created by `ReplicaFetcherManager` when the first partition led by `source` is added, stopped when
/// the last one goes. A partition starts in truncation: OffsetForLeaderEpoch with its latest epoch tells how much
/// of its log agrees with the leader (KIP-101/279), and the log is cut there. Then Fetch requests with this
/// broker's replica id from the log end offset bring the leader's batches, appended unchanged, and the leader's
/// high watermark, in a fetch session (KIP-227: after the first fetch only changed partitions are named and only
/// partitions with news come back). Partition errors pause that partition for `replica.fetch.backoff.ms`; a broken
/// connection pauses the whole fetcher. The partition map is guarded by a lock held while a response is applied, so a
/// partition removed by LeaderAndIsr gets no further appends.
public final class ReplicaFetcher: Sendable {
    struct FetchState: Sendable {
        var offset: Int64
        var leaderEpoch: Int32
        /// The local replica, looked up when the partition was added (again if StopReplica took it away since).
        var local: Partition?
        var truncating = true
        var delayedUntil: ContinuousClock.Instant?
        /// The leader's high watermark less `offset` after the last fetch (Kafka's FetcherLagMetrics).
        var lag: Int64 = 0
    }

    /// Kafka's `replica.fetch.*` settings.
    public struct Settings: Sendable {
        public var maxWaitMs: Int32 = 500
        public var minBytes: Int32 = 1
        public var maxBytes: Int32 = 10 << 20
        public var partitionMaxBytes: Int32 = 1 << 20
        public var backoff: Duration = .seconds(1)

        public init(
            maxWaitMs: Int32 = 500,
            minBytes: Int32 = 1,
            maxBytes: Int32 = 10 << 20,
            partitionMaxBytes: Int32 = 1 << 20,
            backoff: Duration = .seconds(1)
        ) {
            self.maxWaitMs = maxWaitMs
            self.minBytes = minBytes
            self.maxBytes = maxBytes
            self.partitionMaxBytes = partitionMaxBytes
            self.backoff = backoff
        }
    }

    let source: LeaderBroker
    let endpoint: any LeaderEndpoint
    let brokerID: BrokerID
    let replicaManager: ReplicaManager
    let settings: Settings
    /// Called with each append's topic and size (ReplicationBytesInPerSec).
    let onReplicated: @Sendable (String, Int) -> Void
    let logger: Logger
    private let partitions = Mutex<[TopicPartition: FetchState]>([:])
    /// The fetch session with the leader (KIP-227); only the fetch loop uses it.
    private let session = Mutex(FetchSessionHandler())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(
        source: LeaderBroker,
        endpoint: any LeaderEndpoint,
        brokerID: BrokerID,
        replicaManager: ReplicaManager,
        settings: Settings,
        onReplicated: @escaping @Sendable (String, Int) -> Void,
        logger: Logger
    ) {
        self.source = source
        self.endpoint = endpoint
        self.brokerID = brokerID
        self.replicaManager = replicaManager
        self.settings = settings
        self.onReplicated = onReplicated
        var logger = logger
        logger[metadataKey: "fetcherSource"] = "\(source.id)"
        self.logger = logger
    }

    func add(_ topicPartition: TopicPartition, leaderEpoch: Int32) {
        let local = replicaManager.partition(topicPartition)
        let offset = local?.log.logEndOffset ?? 0
        partitions.withLock {
            $0[topicPartition] = FetchState(offset: offset, leaderEpoch: leaderEpoch, local: local)
        }
    }

    /// The largest lag of the partitions this fetcher follows.
    var maxLag: Int64 {
        partitions.withLock { $0.values.map(\.lag).max() ?? 0 }
    }

    /// Removes partitions; returns whether none is left.
    func remove(_ topicPartitions: some Sequence<TopicPartition>) -> Bool {
        partitions.withLock { partitions in
            for topicPartition in topicPartitions { partitions.removeValue(forKey: topicPartition) }
            return partitions.isEmpty
        }
    }

    func start() {
        task.withLock { $0 = Task(executorPreference: endpoint.executor) { await self.run() } }
    }

    func stop() {
        task.withLock { $0?.cancel() }
        endpoint.close()
    }

    // MARK: The loop

    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            let now = ContinuousClock.now
            // A delay that has passed is cleared here, so usually nothing is delayed and the map itself is taken
            // (shared, not copied or rehashed).
            let ready = partitions.withLock { partitions -> [TopicPartition: FetchState] in
                guard partitions.values.contains(where: { $0.delayedUntil != nil }) else { return partitions }
                for (topicPartition, state) in partitions where state.delayedUntil.map({ $0 <= now }) == true {
                    partitions[topicPartition]?.delayedUntil = nil
                }
                return partitions.filter { $0.value.delayedUntil == nil }
            }
            if ready.isEmpty {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            do {
                let truncating = ready.values.contains(where: \.truncating) ? ready.filter(\.value.truncating) : [:]
                if truncating.isEmpty {
                    try await fetch(ready)
                } else {
                    try await truncate(truncating)
                }
                failures = 0
            } catch {
                guard !Task.isCancelled else { return }
                if failures == 0 {
                    logger.warning("Fetching from broker \(source.id) failed: \(error); retrying")
                }
                failures += 1
                endpoint.reset()
                try? await Task.sleep(for: settings.backoff)
            }
        }
    }

    private func delay(
        _ topicPartition: TopicPartition,
        _ state: FetchState,
        in partitions: inout [TopicPartition: FetchState]
    ) {
        guard var current = partitions[topicPartition], current.leaderEpoch == state.leaderEpoch else { return }
        current.delayedUntil = ContinuousClock.now + settings.backoff
        partitions[topicPartition] = current
    }

    // MARK: Truncation

    private func truncate(_ ready: [TopicPartition: FetchState]) async throws {
        var asked: [TopicPartition: Int32] = [:]
        for (topicPartition, state) in ready {
            guard let partition = replicaManager.partition(topicPartition) else { continue }
            if let epoch = partition.log.latestEpoch {
                asked[topicPartition] = epoch
            } else {
                // No epochs to compare (an empty log): the high watermark is what is known to be committed.
                truncateLog(topicPartition, state, at: partition.highWatermark, finished: true)
            }
        }
        guard !asked.isEmpty else { return }
        let request = OffsetForLeaderEpochRequest(
            replicaID: brokerID,
            topics: Dictionary(grouping: asked.keys, by: \.topic).map { topic, partitions in
                .init(
                    topic: topic,
                    partitions: partitions.map {
                        .init(
                            partition: $0.partition,
                            currentLeaderEpoch: ready[$0]!.leaderEpoch,
                            leaderEpoch: asked[$0]!
                        )
                    }
                )
            }
        )
        let response = try await endpoint.offsetForLeaderEpoch(request)
        for topic in response.topics {
            for answer in topic.partitions {
                let topicPartition = TopicPartition(topic.topic, answer.partition)
                guard let state = ready[topicPartition], let partition = replicaManager.partition(topicPartition)
                else { continue }
                let error = answer.errorCode
                guard error == .none else {
                    logger.info(
                        "OffsetForLeaderEpoch refused: \(error)",
                        metadata: ["partition": "\(topicPartition)"]
                    )
                    partitions.withLock { delay(topicPartition, state, in: &$0) }
                    continue
                }
                let cut = Self.truncationPoint(
                    leaderEpoch: answer.leaderEpoch,
                    leaderEndOffset: answer.endOffset,
                    log: partition.log,
                    whenUnknown: partition.highWatermark
                )
                truncateLog(topicPartition, state, at: cut.offset, finished: cut.finished)
            }
        }
    }

    /// KIP-101/279: where a log is cut once the leader answered OffsetForLeaderEpoch with `leaderEpoch` ending at
    /// `leaderEndOffset`: at the leader's end of the largest epoch both logs have; at `whenUnknown` when the leader
    /// knows none of this log's epochs (end offset -1). Not `finished` when this log lacks the leader's epoch: it
    /// is cut to where its own earlier epoch ends, and the leader is asked again with the epoch now last. Shared by
    /// followers and cluster links (a mirror's log holds its source's epochs).
    public static func truncationPoint(
        leaderEpoch: Int32,
        leaderEndOffset: Int64,
        log: Log,
        whenUnknown: Int64
    ) -> (offset: Int64, finished: Bool) {
        let logEndOffset = log.logEndOffset
        guard leaderEndOffset >= 0 else { return (whenUnknown, true) }
        let mine = log.endOffset(forLeaderEpoch: leaderEpoch)
        if mine.epoch < 0 { return (min(leaderEndOffset, logEndOffset), true) }
        if mine.epoch != leaderEpoch { return (min(mine.endOffset, logEndOffset), false) }
        return (min(leaderEndOffset, mine.endOffset, logEndOffset), true)
    }

    /// Cuts the log at `offset`. A `finished` truncation makes the partition fetch from the new log end; an
    /// unfinished one (the log lacked the leader's epoch) asks OffsetForLeaderEpoch again with the epoch now last.
    private func truncateLog(_ topicPartition: TopicPartition, _ state: FetchState, at offset: Int64, finished: Bool) {
        partitions.withLock { partitions in
            guard var current = partitions[topicPartition], current.leaderEpoch == state.leaderEpoch,
                let partition = replicaManager.partition(topicPartition)
            else { return }
            do {
                let before = partition.log.logEndOffset
                try partition.truncate(to: offset)
                guard finished else { return }
                current.truncating = false
                current.offset = partition.log.logEndOffset
                current.delayedUntil = nil
                partitions[topicPartition] = current
                logger.info(
                    "Follower ready to fetch",
                    metadata: [
                        "partition": "\(topicPartition)", "truncatedTo": "\(current.offset)",
                        "removed": "\(before - current.offset)", "leaderEpoch": "\(state.leaderEpoch)",
                    ]
                )
            } catch {
                logger.error("Cannot truncate: \(error)", metadata: ["partition": "\(topicPartition)"])
                delay(topicPartition, state, in: &partitions)
            }
        }
    }

    // MARK: Fetching

    private func fetch(_ ready: [TopicPartition: FetchState]) async throws {
        // In the map's order, which stays the same while no partition comes or goes: the session compares them
        // position by position.
        var positions: [FetchSessionHandler.Named] = []
        positions.reserveCapacity(ready.count)
        for (topicPartition, state) in ready {
            let local =
                state.local.flatMap { $0.waiters.isClosed ? nil : $0 } ?? replicaManager.partition(topicPartition)
            positions.append(
                (
                    topicPartition,
                    .init(
                        offset: state.offset,
                        logStartOffset: local?.log.logStartOffset ?? -1,
                        leaderEpoch: state.leaderEpoch,
                        maxBytes: settings.partitionMaxBytes
                    )
                )
            )
        }
        let next = session.withLock { $0.build(positions) }
        let request = FetchRequest(
            replicaID: brokerID,
            maxWaitMs: settings.maxWaitMs,
            minBytes: settings.minBytes,
            maxBytes: settings.maxBytes,
            isolationLevel: 0,
            sessionID: next.sessionID,
            sessionEpoch: next.epoch,
            topics: Dictionary(grouping: next.partitions.keys, by: \.topic).map { topic, partitions in
                .init(
                    topic: topic,
                    partitions: partitions.sorted().map { topicPartition in
                        let position = next.partitions[topicPartition]!
                        return .init(
                            partition: topicPartition.partition,
                            currentLeaderEpoch: position.leaderEpoch,
                            fetchOffset: position.offset,
                            logStartOffset: position.logStartOffset,
                            partitionMaxBytes: position.maxBytes
                        )
                    }
                )
            },
            forgottenTopicsData: Dictionary(grouping: next.forgotten, by: \.topic).map { topic, partitions in
                .init(topic: topic, partitions: partitions.map(\.partition).sorted())
            }
        )
        let response: FetchResponse
        do {
            response = try await endpoint.fetch(request)
        } catch {
            session.withLock { $0.failed() }
            throw error
        }
        let accepted = session.withLock {
            $0.handle(next, errorCode: response.errorCode, responseSessionID: response.sessionID)
        }
        guard accepted else {
            logger.info("Fetch session refused: \(response.errorCode); starting a new one")
            return
        }
        for topic in response.responses {
            for data in topic.partitions {
                let topicPartition = TopicPartition(topic.topic, data.partitionIndex)
                guard let sent = ready[topicPartition] else { continue }
                apply(data, to: topicPartition, sent: sent)
            }
        }
    }

    private func apply(_ data: FetchResponse.PartitionData, to topicPartition: TopicPartition, sent: FetchState) {
        partitions.withLock { partitions in
            guard var current = partitions[topicPartition], current.leaderEpoch == sent.leaderEpoch,
                current.offset == sent.offset, !current.truncating,
                let partition = replicaManager.partition(topicPartition)
            else { return }
            let error = data.errorCode
            switch error {
            case .none:
                do {
                    if let records = data.records, let whole = Self.wholeBatches(records), whole.readableBytes > 0 {
                        _ = try partition.appendAsFollower(whole)
                        onReplicated(topicPartition.topic, whole.readableBytes)
                    }
                    partition.updateFollowerHighWatermark(data.highWatermark)
                    // DeleteRecords on the leader: this replica's log starts where the leader's does (Kafka's
                    // follower moves it up to, never past, its own high watermark).
                    if data.logStartOffset > partition.log.logStartOffset {
                        try partition.log.incrementLogStartOffset(
                            to: min(data.logStartOffset, partition.highWatermark),
                            highWatermark: partition.highWatermark
                        )
                    }
                    current.offset = partition.log.logEndOffset
                    current.lag = max(data.highWatermark - current.offset, 0)
                    partitions[topicPartition] = current
                } catch {
                    logger.error("Follower append failed: \(error)", metadata: ["partition": "\(topicPartition)"])
                    if let storage = error as? StorageError {
                        replicaManager.logManager.reportFailure(of: topicPartition, storage)
                    }
                    delay(topicPartition, sent, in: &partitions)
                }
            case .offsetOutOfRange:
                do {
                    if data.logStartOffset > partition.log.logEndOffset {
                        try partition.truncateFully(startingAt: data.logStartOffset)
                        current.offset = data.logStartOffset
                    } else {
                        current.truncating = true
                    }
                    partitions[topicPartition] = current
                } catch {
                    logger.error("Cannot reset the log: \(error)", metadata: ["partition": "\(topicPartition)"])
                    delay(topicPartition, sent, in: &partitions)
                }
            default:
                logger.debug("Fetch refused: \(error)", metadata: ["partition": "\(topicPartition)"])
                delay(topicPartition, sent, in: &partitions)
            }
        }
    }

    /// The whole batches at the front of `records` (a response may end inside a batch).
    public static func wholeBatches(_ records: ByteBuffer) -> ByteBuffer? {
        var remaining = records
        var length = 0
        while let batch = try? RecordBatch.nextBatch(from: &remaining) { length += batch.sizeInBytes }
        return records.getSlice(at: records.readerIndex, length: length)
    }
}
