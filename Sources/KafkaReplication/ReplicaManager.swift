public import KafkaCore
public import KafkaProtocol
public import KafkaStorage
public import Logging
public import NIOCore
import Synchronization

/// The partitions this broker hosts, and the produce and fetch paths through them.
///
/// Produce: every batch is validated as Kafka's `LogValidator` does (size, magic 2, CRC-32C, record count, codec,
/// client rules) before anything is written; a partition's errors become Kafka error codes in its response; an
/// acks=all append then waits (without polling) until the high watermark passes it.
/// Fetch: reads stop at the high watermark for consumers and at the log end for followers (whose fetch offsets move
/// the high watermark and the ISR); a fetch that finds less than `minBytes` waits until an append or a high
/// watermark move reaches one of its partitions or `maxWait` passes. ISR changes the leaders propose are written
/// through `isrWriter` (the partition state znode). Any task may call any method.
public final class ReplicaManager: Sendable {
    public let brokerID: BrokerID
    public let logManager: LogManager
    let logger: Logger
    private let partitions = Mutex<[TopicPartition: Partition]>([:])
    let waiters: FetchWaiters
    private let isrWriter: @Sendable (Partition.IsrProposal) async -> Int32?
    private let started = ContinuousClock.now

    /// `isrWriter` writes a leader's ISR change and returns the znode's new version (nil: the znode moved on).
    public init(
        brokerID: BrokerID,
        logManager: LogManager,
        logger: Logger,
        timers: any EventLoopGroup,
        isrWriter: @escaping @Sendable (Partition.IsrProposal) async -> Int32? = { _ in nil }
    ) {
        self.waiters = FetchWaiters(timers: timers)
        self.brokerID = brokerID
        self.logManager = logManager
        self.logger = logger
        self.isrWriter = isrWriter
    }

    /// Milliseconds on a monotonic clock (follower catch-up times).
    var nowMs: Int64 {
        let elapsed = ContinuousClock.now - started
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    public func partition(_ topicPartition: TopicPartition) -> Partition? {
        partitions.withLock { $0[topicPartition] }
    }

    /// Several partitions at once (one fetch's), under one acquisition of the lock.
    func partitions(_ topicPartitions: some Sequence<TopicPartition>) -> [Partition?] {
        partitions.withLock { partitions in topicPartitions.map { partitions[$0] } }
    }

    /// Registers a wake-up for `changes` on `hosted`, the partitions of `topicPartitions` as last looked up (nil:
    /// not hosted). Registered first, then checked: when one of them was taken away before the registration (its
    /// waiters closed by StopReplica) all are looked up again and registered anew; one taken away after it wakes the
    /// waiter. So a waiting request looks its partitions up once, not per wake-up.
    func registerWakeUp(
        on hosted: inout [Partition?],
        of topicPartitions: some Sequence<TopicPartition>,
        for changes: FetchWaiters.Changes
    ) -> FetchWaiters.Waiter {
        while true {
            let wakeUp = waiters.register(hosted.compactMap { $0?.waiters }, for: changes)
            guard hosted.contains(where: { $0?.waiters.isClosed == true }) else { return wakeUp }
            waiters.cancel(wakeUp)
            hosted = partitions(topicPartitions)
        }
    }

    public var allPartitions: [Partition] { partitions.withLock { Array($0.values) } }

    /// Every hosted partition's high watermark (for `replication-offset-checkpoint` and retention).
    public var highWatermarks: [TopicPartition: Int64] {
        Dictionary(uniqueKeysWithValues: allPartitions.map { ($0.topicPartition, $0.highWatermark) })
    }

    // MARK: LeaderAndIsr / StopReplica

    /// Makes this broker leader or follower of a partition as the controller decided, creating its log with
    /// `config` when it has none. Returns the partition's error code (NONE, or KAFKA_STORAGE_ERROR, or
    /// STALE_CONTROLLER_EPOCH for an old leader epoch) and what changed (the caller starts or stops fetching).
    public func becomeLeaderOrFollower(
        _ topicPartition: TopicPartition,
        leader: BrokerID,
        leaderEpoch: LeaderEpoch,
        isr: [BrokerID],
        replicas: [BrokerID],
        zkVersion: Int32 = -1,
        config: LogConfig
    ) -> (errorCode: KafkaErrorCode, transition: Partition.Transition?) {
        do {
            let partition = try partitions.withLock {
                (partitions: inout [TopicPartition: Partition]) throws(StorageError) -> Partition in
                if let existing = partitions[topicPartition] { return existing }
                let log = try logManager.getOrCreateLog(for: topicPartition, config: config)
                let highWatermark = logManager.readHighWatermarks()[topicPartition] ?? 0
                let partition = Partition(
                    topicPartition: topicPartition,
                    log: log,
                    localBrokerID: brokerID,
                    highWatermark: highWatermark
                )
                partitions[topicPartition] = partition
                return partition
            }
            resumeMove(of: partition)
            partition.log.updateConfig(config)  // the topic's overrides, also for logs loaded at startup
            let transition = try partition.apply(
                leader: leader,
                leaderEpoch: leaderEpoch,
                isr: isr,
                replicas: replicas,
                zkVersion: zkVersion,
                nowMs: nowMs
            )
            switch transition {
            case .stale: return (.staleControllerEpoch, transition)
            case .unchanged: return (.none, transition)
            case .becameLeader, .becameFollower:
                logger.info(
                    leader == brokerID ? "Became leader" : "Became follower",
                    metadata: [
                        "partition": "\(topicPartition)", "leaderEpoch": "\(leaderEpoch)", "isr": "\(isr)",
                        "leader": "\(leader)",
                    ]
                )
                // Waiting produces and fetches re-check leadership.
                partition.waiters.notify()
                return (.none, transition)
            }
        } catch {
            logger.error("Cannot host \(topicPartition): \(error)")
            return (error.errorCode, nil)
        }
    }

    /// Stops hosting a partition; with `delete`, removes its log.
    public func stopReplica(_ topicPartition: TopicPartition, delete: Bool) -> KafkaErrorCode {
        // Waiting produces and fetches look the partition up again (and find it gone).
        partitions.withLock { $0.removeValue(forKey: topicPartition) }?.waiters.close()
        guard delete else { return .none }
        do {
            try logManager.deleteLog(for: topicPartition)
            return .none
        } catch {
            return error.errorCode
        }
    }

    // MARK: Produce

    public struct ProduceResult: Sendable {
        public var errorCode: KafkaErrorCode
        public var baseOffset: Int64 = -1
        /// The offset after the append.
        public var nextOffset: Int64 = -1
        /// What acks=all waits for (`waitForReplication`); nil when the append failed.
        public var replicationTarget: ReplicationTarget?
        public var logAppendTime: Int64 = -1
        public var logStartOffset: Int64 = -1
        public var errorMessage: String?
    }

    /// Validates and appends one partition's records from a producer.
    public func appendRecords(
        _ topicPartition: TopicPartition,
        records: ByteBuffer,
        requiredAcks: Int16,
        origin: AppendOrigin = .client
    ) -> ProduceResult {
        guard let partition = partition(topicPartition) else {
            return ProduceResult(errorCode: .unknownTopicOrPartition)
        }
        guard partition.isLeader else { return ProduceResult(errorCode: .notLeaderOrFollower) }
        let config = partition.log.config
        guard config.mirrorLink.isEmpty else {
            return ProduceResult(
                errorCode: .invalidRequest,
                errorMessage: "Cannot append records to read-only mirror topic \(topicPartition.topic)"
            )
        }
        var remaining = records
        var batches = 0
        do {
            while remaining.readableBytes > 0 {
                guard let batch = try RecordBatch.nextBatch(from: &remaining) else {
                    throw RecordBatchError.sizeMismatch(declared: -1, actual: remaining.readableBytes)
                }
                try batch.validate(
                    maxSize: config.maxMessageBytes,
                    decompressionLimit: max(config.maxMessageBytes * 64, 64 << 20)
                )
                try Self.checkRecords(of: batch, config: config, now: partition.log.clock.milliseconds)
                batches += 1
            }
        } catch let error as RecordBatchError {
            logger.warning("Rejected a produce batch: \(error)", metadata: ["partition": "\(topicPartition)"])
            return ProduceResult(errorCode: error.errorCode, errorMessage: "\(error)")
        } catch {
            return ProduceResult(errorCode: .corruptMessage, errorMessage: "\(error)")
        }
        guard batches > 0 else { return ProduceResult(errorCode: .invalidRecord, errorMessage: "no record batch") }
        do {
            let appended = try partition.appendAsLeader(records, origin: origin, requiredAcks: requiredAcks)
            let info = appended.info
            partition.waiters.notify(.data)
            return ProduceResult(
                errorCode: .none,
                baseOffset: info.firstOffset,
                nextOffset: info.lastOffset + 1,
                replicationTarget: appended.replicationTarget,
                logAppendTime: info.logAppendTime,
                logStartOffset: info.logStartOffset
            )
        } catch {
            if case .storage(let storage) = error {
                logger.error("Append failed: \(storage)", metadata: ["partition": "\(topicPartition)"])
                logManager.reportFailure(of: topicPartition, storage)
            }
            return ProduceResult(errorCode: error.errorCode, errorMessage: "\(error)")
        }
    }

    /// Appends batches a cluster link fetched from the source cluster's leader of a mirror topic's partition, at this
    /// leader, unchanged (offsets, epochs, producers: `Partition.appendAsFollower`'s checks and path); wakes the fetches
    /// waiting for data and, when the ISR allows, moves the high watermark. Called by `ClusterLinkFetcher` only.
    public func appendMirrored(_ partition: Partition, _ records: ByteBuffer) throws(StorageError) {
        _ = try partition.appendAsFollower(records)
        partition.waiters.notify(.data)
        if partition.maybeIncrementHighWatermark() { partition.waiters.notify(.progress) }
    }

    /// Writes a transaction marker for `producerID` (WriteTxnMarkers at a partition leader): a control batch
    /// appended with the coordinator's origin and acks=all, after the producer-state checks (an older producer
    /// epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED). Returns the
    /// error code and, on success, what replication must reach.
    public func appendTransactionMarker(
        _ topicPartition: TopicPartition,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        marker: EndTransactionMarker
    ) -> (KafkaErrorCode, ReplicationTarget?) {
        guard let partition = partition(topicPartition) else { return (.unknownTopicOrPartition, nil) }
        let batch = RecordBatchBuilder.controlBatch(
            marker.type,
            coordinatorEpoch: marker.coordinatorEpoch,
            producerID: producerID,
            producerEpoch: producerEpoch,
            timestamp: partition.log.clock.milliseconds
        )
        do {
            let appended = try partition.appendAsLeader(batch.buffer, origin: .coordinator, requiredAcks: -1)
            partition.waiters.notify(.data)
            return (.none, appended.replicationTarget)
        } catch {
            if case .storage(let storage) = error {
                logger.error("Marker append failed: \(storage)", metadata: ["partition": "\(topicPartition)"])
                logManager.reportFailure(of: topicPartition, storage)
            }
            return (error.errorCode, nil)
        }
    }

    /// The checks that need the records themselves, on one decode and only when a setting asks for them (the
    /// defaults decode nothing): a compacted topic needs a key on every record, and with CreateTime and
    /// `message.timestamp.difference.max.ms` set every record timestamp (but NO_TIMESTAMP, -1, which v0 messages
    /// carry) is within that many milliseconds of the broker's clock (Kafka's `LogValidator`).
    static func checkRecords(of batch: RecordBatch, config: LogConfig, now: Int64) throws(RecordBatchError) {
        let difference = config.messageTimestampDifferenceMaxMs
        let checksTimestamps = difference < Int64.max && config.timestampType == .createTime
        guard config.compact || checksTimestamps else { return }
        for record in try batch.records(decompressionLimit: 64 << 20) {
            if config.compact && record.key == nil {
                throw .malformedRecord(index: 0, reason: "a compacted topic needs a key on every record")
            }
            guard checksTimestamps, record.timestamp != -1 else { continue }
            // A timestamp near Int64.min or max is out of range, not an overflow trap.
            let (gap, overflow) =
                record.timestamp > now
                ? record.timestamp.subtractingReportingOverflow(now)
                : now.subtractingReportingOverflow(record.timestamp)
            if overflow || gap > difference {
                throw .timestampOutOfRange(timestamp: record.timestamp, now: now, maxDifference: difference)
            }
        }
    }

    /// Waits until the partition's high watermark reaches `target` in the leadership that appended (acks=all):
    /// NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_OR_FOLLOWER (also when the task is cancelled:
    /// shutdown), or REQUEST_TIMED_OUT at `deadline`.
    public func waitForReplication(
        _ topicPartition: TopicPartition,
        target: ReplicationTarget,
        deadline: ContinuousClock.Instant
    ) async -> KafkaErrorCode {
        let answer = await waitUntil(topicPartition, deadline: deadline) { partition -> KafkaErrorCode? in
            guard let partition else { return .notLeaderOrFollower }
            return partition.checkEnoughReplicasReach(target)
        }
        // Cancelled before the deadline: the broker is shutting down, the producer will find the next leader.
        return answer ?? (ContinuousClock.now >= deadline ? .requestTimedOut : .notLeaderOrFollower)
    }

    /// DeleteRecords (KIP-107) for one partition this broker leads: moves its log start offset to `offset` (-1:
    /// the high watermark), then waits until the in-sync followers have moved theirs too (their fetches say so).
    /// Returns the error code and the low watermark: NONE, OFFSET_OUT_OF_RANGE past the high watermark,
    /// NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, or REQUEST_TIMED_OUT at `deadline`.
    public func deleteRecords(
        _ topicPartition: TopicPartition,
        before offset: Int64,
        deadline: ContinuousClock.Instant
    ) async -> (KafkaErrorCode, lowWatermark: Int64) {
        guard let partition = partition(topicPartition) else { return (.unknownTopicOrPartition, -1) }
        let (error, required) = partition.deleteRecords(before: offset)
        guard error == .none else { return (error, -1) }
        logger.info(
            "Deleted records before offset \(required)",
            metadata: ["partition": "\(topicPartition)"]
        )
        var lowWatermark: Int64 = -1
        let answer = await waitUntil(topicPartition, deadline: deadline) { partition -> KafkaErrorCode? in
            guard let partition, partition.isLeader else { return .notLeaderOrFollower }
            lowWatermark = partition.lowWatermark
            return lowWatermark >= required ? KafkaErrorCode.none : nil
        }
        guard let answer else { return (.requestTimedOut, lowWatermark) }
        return (answer, answer == .none ? lowWatermark : -1)
    }

    /// Asks `check` about the partition (nil when this broker no longer holds it) each time the partition's
    /// progress is notified (a watermark move, a leadership or ISR change), until it answers; nil at `deadline` or when the task is
    /// cancelled. The wake-up is registered before each check, so a notification in between is never lost.
    private func waitUntil<Answer>(
        _ topicPartition: TopicPartition,
        deadline: ContinuousClock.Instant,
        _ check: (Partition?) -> Answer?
    ) async -> Answer? {
        var hosted = [partition(topicPartition)]
        while true {
            let wakeUp = registerWakeUp(on: &hosted, of: CollectionOfOne(topicPartition), for: .progress)
            if let answer = check(hosted[0]) {
                waiters.cancel(wakeUp)
                return answer
            }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                waiters.cancel(wakeUp)
                return nil
            }
            await waiters.wait(wakeUp, until: deadline)
        }
    }

    // MARK: ISR

    /// Proposes and writes ISR shrinks for followers that stopped keeping up (Kafka runs this every half
    /// `replica.lag.time.max.ms`).
    public func shrinkIsrs(maxLagMs: Int64) {
        let now = nowMs
        for partition in allPartitions {
            if let proposal = partition.isrShrinkProposal(nowMs: now, maxLagMs: maxLagMs) {
                write(proposal, on: partition, reason: "shrink")
            }
        }
    }

    func write(_ proposal: Partition.IsrProposal, on partition: Partition, reason: String) {
        Task {
            let version = await isrWriter(proposal)
            if partition.completeIsrUpdate(proposal, newZkVersion: version) {
                partition.waiters.notify()
            }
            if version != nil {
                logger.info(
                    reason == "shrink" ? "Shrank the ISR" : "Expanded the ISR",
                    metadata: ["partition": "\(proposal.topicPartition)", "isr": "\(proposal.isr)"]
                )
            } else {
                logger.info(
                    "ISR \(reason) not written: the partition state changed",
                    metadata: ["partition": "\(proposal.topicPartition)"]
                )
            }
        }
    }

    // MARK: OffsetForLeaderEpoch

    /// The leader's end offset for `leaderEpoch` (KIP-101/279): the largest epoch at or below it and where that
    /// epoch ends. Followers require this broker to lead with `currentLeaderEpoch`.
    public func endOffset(
        _ topicPartition: TopicPartition,
        currentLeaderEpoch: Int32,
        leaderEpoch: Int32
    ) -> (errorCode: KafkaErrorCode, leaderEpoch: Int32, endOffset: Int64) {
        guard let partition = partition(topicPartition) else { return (.unknownTopicOrPartition, -1, -1) }
        let check = partition.checkLeaderEpoch(currentLeaderEpoch, requireLeader: true)
        guard check == .none else { return (check, -1, -1) }
        let answer = partition.log.endOffset(forLeaderEpoch: leaderEpoch)
        return (.none, answer.epoch, answer.endOffset)
    }
}
