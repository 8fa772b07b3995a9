public import KafkaCore
import KafkaProtocol
public import KafkaStorage
public import Logging
public import NIOCore
import Synchronization

/// The partitions this broker hosts, and the produce and fetch paths through them.
///
/// Produce: every batch is validated as Kafka's `LogValidator` does (size, magic 2, CRC-32C, record count, codec,
/// client rules) before anything is written; a partition's errors become Kafka error codes in its response.
/// Fetch: reads stop at the high watermark for consumers; a fetch that finds less than `minBytes` waits (without
/// polling) until an append reaches one of its partitions or `maxWait` passes. Any task may call any method.
public final class ReplicaManager: Sendable {
    public let brokerID: BrokerID
    public let logManager: LogManager
    let logger: Logger
    private let partitions = Mutex<[TopicPartition: Partition]>([:])
    private let waiters = FetchWaiters()

    public init(brokerID: BrokerID, logManager: LogManager, logger: Logger) {
        self.brokerID = brokerID
        self.logManager = logManager
        self.logger = logger
    }

    public func partition(_ topicPartition: TopicPartition) -> Partition? {
        partitions.withLock { $0[topicPartition] }
    }

    public var allPartitions: [Partition] { partitions.withLock { Array($0.values) } }

    // MARK: LeaderAndIsr / StopReplica

    /// Makes this broker leader or follower of a partition as the controller decided, creating its log with
    /// `config` when it has none. Returns the partition's error code (NONE, or KAFKA_STORAGE_ERROR, or
    /// STALE_CONTROLLER_EPOCH for an old leader epoch).
    public func becomeLeaderOrFollower(
        _ topicPartition: TopicPartition,
        leader: BrokerID,
        leaderEpoch: LeaderEpoch,
        isr: [BrokerID],
        replicas: [BrokerID],
        config: LogConfig
    ) -> KafkaErrorCode {
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
            partition.log.updateConfig(config)  // the topic's overrides, also for logs loaded at startup
            guard try partition.apply(leader: leader, leaderEpoch: leaderEpoch, isr: isr, replicas: replicas) else {
                return .staleControllerEpoch
            }
            logger.info(
                leader == brokerID ? "Became leader" : "Became follower",
                metadata: ["partition": "\(topicPartition)", "leaderEpoch": "\(leaderEpoch)", "isr": "\(isr)"]
            )
            return .none
        } catch {
            logger.error("Cannot host \(topicPartition): \(error)")
            return error.errorCode
        }
    }

    /// Stops hosting a partition; with `delete`, removes its log.
    public func stopReplica(_ topicPartition: TopicPartition, delete: Bool) -> KafkaErrorCode {
        _ = partitions.withLock { $0.removeValue(forKey: topicPartition) }
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
        public var logAppendTime: Int64 = -1
        public var logStartOffset: Int64 = -1
        public var errorMessage: String?
    }

    /// Validates and appends one partition's records from a producer.
    public func appendRecords(
        _ topicPartition: TopicPartition,
        records: ByteBuffer,
        requiredAcks: Int16
    ) -> ProduceResult {
        guard let partition = partition(topicPartition) else {
            return ProduceResult(errorCode: .unknownTopicOrPartition)
        }
        guard partition.isLeader else { return ProduceResult(errorCode: .notLeaderOrFollower) }
        let config = partition.log.config
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
                if config.compact, try batch.records(decompressionLimit: 64 << 20).contains(where: { $0.key == nil }) {
                    throw RecordBatchError.malformedRecord(
                        index: 0,
                        reason: "a compacted topic needs a key on every record"
                    )
                }
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
            let info = try partition.appendAsLeader(records, origin: .client, requiredAcks: requiredAcks)
            waiters.notify(topicPartition)
            return ProduceResult(
                errorCode: .none,
                baseOffset: info.firstOffset,
                logAppendTime: info.logAppendTime,
                logStartOffset: info.logStartOffset
            )
        } catch {
            if case .storage(let storage) = error {
                logger.error("Append failed: \(storage)", metadata: ["partition": "\(topicPartition)"])
            }
            return ProduceResult(errorCode: error.errorCode, errorMessage: "\(error)")
        }
    }

    // MARK: Fetch

    public struct FetchResult: Sendable {
        public var errorCode: KafkaErrorCode
        public var highWatermark: Int64 = -1
        public var logStartOffset: Int64 = -1
        public var records: FileSlice?
    }

    public struct FetchRequestPartition: Sendable {
        public var topicPartition: TopicPartition
        public var offset: Int64
        public var maxBytes: Int

        public init(topicPartition: TopicPartition, offset: Int64, maxBytes: Int) {
            self.topicPartition = topicPartition
            self.offset = offset
            self.maxBytes = maxBytes
        }
    }

    /// Reads the partitions, waiting up to `maxWait` for `minBytes`; `maxBytes` bounds the whole response (the
    /// first partition's first batch always comes whole).
    public func fetch(
        _ requests: [FetchRequestPartition],
        maxWait: Duration,
        minBytes: Int,
        maxBytes: Int
    ) async -> [TopicPartition: FetchResult] {
        let deadline = ContinuousClock.now + maxWait
        while true {
            let wakeUp = waiters.register(Set(requests.map(\.topicPartition)))
            let results = read(requests, maxBytes: maxBytes)
            let bytes = results.values.reduce(0) { $0 + ($1.records?.length ?? 0) }
            let hasError = results.values.contains { $0.errorCode != .none }
            if bytes >= minBytes || hasError || ContinuousClock.now >= deadline {
                waiters.cancel(wakeUp)
                return results
            }
            await waiters.wait(wakeUp, until: deadline)
        }
    }

    private func read(_ requests: [FetchRequestPartition], maxBytes: Int) -> [TopicPartition: FetchResult] {
        var results: [TopicPartition: FetchResult] = [:]
        var budget = maxBytes
        for request in requests {
            guard let partition = partition(request.topicPartition) else {
                results[request.topicPartition] = FetchResult(errorCode: .unknownTopicOrPartition)
                continue
            }
            guard partition.isLeader else {
                results[request.topicPartition] = FetchResult(errorCode: .notLeaderOrFollower)
                continue
            }
            let highWatermark = partition.highWatermark
            var result = FetchResult(
                errorCode: .none,
                highWatermark: highWatermark,
                logStartOffset: partition.log.logStartOffset
            )
            do {
                let limit = min(request.maxBytes, max(budget, 0))
                let data = try partition.log.read(
                    from: request.offset,
                    maxBytes: limit,
                    upTo: highWatermark,
                    minOneMessage: budget == maxBytes
                )
                result.records = data.records
                budget -= data.sizeInBytes
            } catch {
                result.errorCode = error.errorCode
            }
            results[request.topicPartition] = result
        }
        return results
    }
}

/// Fetches waiting for data: each registers the partitions it reads before it reads them, so an append that lands
/// in between still wakes it. Any thread may use it.
final class FetchWaiters: Sendable {
    private struct Waiter {
        var partitions: Set<TopicPartition>
        var continuation: CheckedContinuation<Void, Never>?
        var notified = false
    }

    private let state = Mutex((next: 0, waiters: [Int: Waiter]()))

    func register(_ partitions: Set<TopicPartition>) -> Int {
        state.withLock { state in
            let id = state.next
            state.next += 1
            state.waiters[id] = Waiter(partitions: partitions)
            return id
        }
    }

    func cancel(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation?.resume()
    }

    /// Waits until `notify` names one of the waiter's partitions or `deadline` passes; then the waiter is gone.
    func wait(_ id: Int, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        guard var waiter = state.waiters[id], !waiter.notified else { return true }
                        waiter.continuation = continuation
                        state.waiters[id] = waiter
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.cancel(id)
            }
            await group.next()
            group.cancelAll()
        }
        cancel(id)
    }

    func notify(_ partition: TopicPartition) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, var waiter) in state.waiters where waiter.partitions.contains(partition) && !waiter.notified {
                waiter.notified = true
                if let continuation = waiter.continuation { woken.append(continuation) }
                waiter.continuation = nil
                state.waiters[id] = waiter
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}
