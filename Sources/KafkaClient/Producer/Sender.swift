import KafkaCore
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// The producer's background loop (Kafka's `Sender`): it takes ready batches from the partition queues, groups
/// them by leader into Produce requests (at most `max.in.flight.requests.per.connection` unanswered per broker),
/// and handles the answers: acknowledged batches complete their records, retriable failures go back to their
/// queue in sequence order (after asking for fresh metadata), other failures complete their records with the
/// error. With idempotence it first gets a producer id, and gets a new one after an error that breaks the sequence.
///
/// Lifecycle: `run()` is started by `KafkaProducer` and returns once `close` was asked and every batch is done.
/// Its state is behind one lock touched by the loop and the request tasks; appends reach it through `wakeup`.
final class Sender: Sendable {
    private struct State {
        var producerID: ProducerID = -1
        var producerEpoch: ProducerEpoch = -1
        var needsNewProducerID = false
        var inFlight: [BrokerID: Int] = [:]
        var staleTopics: Set<String> = []
        /// When the written topics' metadata was last asked for (every `metadata.max.age.ms`, for added partitions).
        var routesRefreshedAt = ContinuousClock.now
        var closing = false
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let configuration: ProducerConfiguration
    let cluster: Cluster
    let accumulator: RecordAccumulator
    let memory: BufferMemory
    let wakeup = Wakeup()
    let metrics: ProducerMetrics
    let logger: Logger
    private let state = Mutex(State())

    init(
        configuration: ProducerConfiguration,
        cluster: Cluster,
        accumulator: RecordAccumulator,
        memory: BufferMemory,
        metrics: ProducerMetrics,
        logger: Logger
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.cluster = cluster
        self.accumulator = accumulator
        self.memory = memory
        self.logger = logger
    }

    private var idempotent: Bool { configuration.enableIdempotence }
    private var maxInFlight: Int { Int(configuration.maxInFlightRequestsPerConnection) }
    private var deliveryTimeout: Duration { .milliseconds(configuration.deliveryTimeoutMs) }
    private var retryBackoff: Duration { .milliseconds(configuration.client.retryBackoffMs) }

    /// Waits until every record appended before the call is acknowledged or failed.
    func flush() async {
        await withCheckedContinuation { continuation in
            state.withLock { $0.flushWaiters.append(continuation) }
            wakeup.signal()
        }
    }

    /// Asks the loop to finish the batches it has and stop.
    func beginClose() {
        state.withLock { $0.closing = true }
        wakeup.signal()
    }

    func run() async {
        while true {
            let now = ContinuousClock.now
            expire(now: now)
            let (closing, flushing) = state.withLock { ($0.closing, !$0.flushWaiters.isEmpty) }
            if accumulator.isIdle {
                let waiters = state.withLock { state in
                    defer { state.flushWaiters = [] }
                    return state.flushWaiters
                }
                for waiter in waiters { waiter.resume() }
                if closing { return }
            }
            if idempotent, !(await ensureProducerID()) {
                await wakeup.wait(until: now + retryBackoff)
                continue
            }
            let next = await sendReady(now: now, flushing: flushing || closing)
            refreshStaleMetadata()
            let routesDue = refreshRoutes(now: now)
            await wakeup.wait(until: next.map { min($0, routesDue) } ?? routesDue)
        }
    }

    /// Fails the unsent batches older than `delivery.timeout.ms`.
    private func expire(now: ContinuousClock.Instant) {
        for queue in accumulator.queues {
            for batch in queue.expire(createdBefore: now - deliveryTimeout) {
                complete(batch, .failure(.deliveryTimeout))
            }
        }
    }

    /// Gets a producer id when there is none, or a new one once nothing is in flight after a sequence error.
    /// Returns whether batches may be sent.
    private func ensureProducerID() async -> Bool {
        let (current, renew, busy) = state.withLock {
            ($0.producerID, $0.needsNewProducerID, $0.inFlight.values.reduce(0, +) > 0)
        }
        guard current < 0 || renew else { return true }
        guard !busy else { return false }
        var request = InitProducerIDRequest()
        request.transactionalID = nil
        request.transactionTimeoutMs = Int32.max
        do {
            let response = try await cluster.send(request)
            guard response.errorCode == .none else {
                logger.warning("InitProducerId failed", metadata: ["error": "\(response.errorCode)"])
                return false
            }
            state.withLock {
                $0.producerID = response.producerID
                $0.producerEpoch = response.producerEpoch
                $0.needsNewProducerID = false
            }
            if renew { for queue in accumulator.queues { queue.resetSequences() } }
            logger.debug(
                "Producer id",
                metadata: ["id": "\(response.producerID)", "epoch": "\(response.producerEpoch)"]
            )
            return true
        } catch {
            logger.warning("InitProducerId failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Sends every ready batch whose leader is known and has room for a request; returns when to look again.
    private func sendReady(now: ContinuousClock.Instant, flushing: Bool) async -> ContinuousClock.Instant? {
        let metadata = await cluster.metadata
        let linger = Duration.milliseconds(configuration.lingerMs)
        var next: ContinuousClock.Instant?
        var byLeader: [BrokerID: [PartitionQueue]] = [:]
        for queue in accumulator.queues {
            switch queue.readiness(now: now, linger: linger, flushing: flushing, maxInFlight: maxInFlight) {
            case .waiting: continue
            case .at(let instant): next = min(next ?? instant, instant)
            case .ready:
                guard let leader = metadata.leader(of: queue.partition) else {
                    state.withLock { _ = $0.staleTopics.insert(queue.partition.topic) }
                    next = min(next ?? now + retryBackoff, now + retryBackoff)
                    continue
                }
                byLeader[leader.id, default: []].append(queue)
            }
        }
        let (producerID, producerEpoch) = state.withLock { ($0.producerID, $0.producerEpoch) }
        for (broker, queues) in byLeader {
            let reserved = state.withLock { state -> Bool in
                guard state.inFlight[broker, default: 0] < maxInFlight else { return false }
                state.inFlight[broker, default: 0] += 1
                return true
            }
            guard reserved, let address = metadata.brokers[broker] else { continue }
            var batches: [(PartitionQueue, ProducerBatch)] = []
            var size = 0
            for queue in queues {
                guard
                    let batch = queue.take(producerID: producerID, producerEpoch: producerEpoch, idempotent: idempotent)
                else { continue }
                batches.append((queue, batch))
                size += batch.encoded?.readableBytes ?? 0
                if size >= Int(configuration.maxRequestSize) { break }
            }
            guard !batches.isEmpty else {
                state.withLock { $0.inFlight[broker, default: 1] -= 1 }
                continue
            }
            await produce(batches, to: broker, at: address)
        }
        return next
    }

    private func refreshStaleMetadata() {
        let topics = state.withLock { state in
            defer { state.staleTopics = [] }
            return state.staleTopics
        }
        guard !topics.isEmpty else { return }
        Task {
            for topic in topics { await cluster.invalidate(topic) }
            if let metadata = try? await cluster.refreshMetadata(topics: Array(topics)) {
                adoptPartitionCounts(metadata)
            }
            wakeup.signal()
        }
    }

    /// Every `metadata.max.age.ms`, asks for the metadata of the topics written to, so partitions added to a topic
    /// start taking records (as the Java producer's periodic metadata refresh does). Returns when it is next due.
    private func refreshRoutes(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let maxAge = Duration.milliseconds(
            max(configuration.client.metadataMaxAgeMs, configuration.client.retryBackoffMs)
        )
        let (due, start) = state.withLock { state in
            guard state.routesRefreshedAt + maxAge <= now else { return (state.routesRefreshedAt + maxAge, false) }
            state.routesRefreshedAt = now
            return (now + maxAge, true)
        }
        guard start else { return due }
        let topics = accumulator.topics
        guard !topics.isEmpty else { return due }
        Task {
            if let metadata = try? await cluster.refreshMetadata(topics: topics) { adoptPartitionCounts(metadata) }
        }
        return due
    }

    /// Topics that gained partitions get queues for them.
    private func adoptPartitionCounts(_ metadata: ClusterMetadata) {
        for (name, topic) in metadata.topics where topic.error == .none {
            accumulator.grow(topic: name, to: topic.partitionCount)
        }
    }

    /// Writes one Produce request to `broker` before returning (so a partition's batches reach the broker in the
    /// order they were taken: the broker accepts any first sequence of a producer it does not know, so a later
    /// batch overtaking the first would break the partition's sequence), then handles its answer in a task.
    private func produce(
        _ batches: [(PartitionQueue, ProducerBatch)],
        to broker: BrokerID,
        at address: BrokerAddress
    ) async {
        var request = ProduceRequest()
        request.transactionalID = nil
        request.acks = configuration.acks.rawValue
        request.timeoutMs = configuration.client.requestTimeoutMs
        var topics: [String: [ProduceRequest.PartitionProduceData]] = [:]
        for (_, batch) in batches {
            topics[batch.partition.topic, default: []].append(
                .init(index: batch.partition.partition, records: batch.encoded)
            )
        }
        request.topicData = topics.map { .init(name: $0.key, partitionData: $0.value) }
        let connection: KafkaConnection
        let version: Int16
        do {
            let ranges: ApiVersionRanges
            (connection, ranges) = try await cluster.connection(to: address)
            version = try ranges.version(for: ProduceRequest.self)
        } catch {
            requestFailed(batches, broker: broker, error: error)
            return
        }
        if configuration.acks == .none {
            let written = connection.writeWithoutResponse(request, version: version)
            Task {
                do {
                    try await written.get()
                    for (queue, batch) in batches { finish(queue, batch, .success((-1, -1))) }
                    requestDone(broker)
                } catch {
                    requestFailed(batches, broker: broker, error: error)
                }
            }
            return
        }
        let answer = connection.write(
            request,
            version: version,
            timeout: .milliseconds(configuration.client.requestTimeoutMs)
        )
        let sentAt = ContinuousClock.now
        Task {
            do {
                let response = try await answer.get()
                metrics.requestLatency.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - sentAt))
                handle(response, for: batches)
                requestDone(broker)
            } catch {
                cluster.pool.drop(connection)
                requestFailed(batches, broker: broker, error: error)
            }
        }
    }

    private func requestDone(_ broker: BrokerID) {
        state.withLock { $0.inFlight[broker, default: 1] -= 1 }
        wakeup.signal()
    }

    /// The request got no answer (connection lost, timeout): every batch may be retried.
    private func requestFailed(_ batches: [(PartitionQueue, ProducerBatch)], broker: BrokerID, error: any Error) {
        logger.debug("Produce request failed", metadata: ["broker": "\(broker)", "error": "\(error)"])
        for (queue, batch) in batches { retryOrFail(queue, batch, error: nil, message: "\(error)") }
        requestDone(broker)
    }

    /// A Produce answer: each batch acknowledged, retried or failed by its partition's error.
    private func handle(_ response: ProduceResponse, for batches: [(PartitionQueue, ProducerBatch)]) {
        var answers: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
        for topic in response.responses {
            for partition in topic.partitionResponses {
                answers[TopicPartition(topic.name, partition.index)] = partition
            }
        }
        for (queue, batch) in batches {
            guard let answer = answers[batch.partition] else {
                retryOrFail(queue, batch, error: .unknownServerError, message: "no answer for the partition")
                continue
            }
            switch answer.errorCode {
            case .none, .duplicateSequenceNumber:
                finish(queue, batch, .success((answer.baseOffset, answer.logAppendTimeMs)))
            default:
                retryOrFail(queue, batch, error: answer.errorCode, message: answer.errorMessage)
            }
        }
    }

    /// A failed batch: sent again when the error is retriable and its time and retries allow, else failed.
    /// `error` nil is a failed request (connection lost, timeout): always retriable.
    private func retryOrFail(_ queue: PartitionQueue, _ batch: ProducerBatch, error: KafkaErrorCode?, message: String?)
    {
        let now = ContinuousClock.now
        let retriable: Bool
        switch error {
        case nil: retriable = true
        case .outOfOrderSequenceNumber?:
            retriable = queue.hasEarlier(than: batch.baseSequence) || queue.wasResequenced(batch.baseSequence)
        case let code?: retriable = code.isRetriable
        }
        if retriable, batch.attempts <= Int(configuration.retries), now < batch.createdAt + deliveryTimeout {
            if error != .outOfOrderSequenceNumber {
                state.withLock { _ = $0.staleTopics.insert(batch.partition.topic) }
            }
            // A broker's error is worth a warning (as the Java client logs it); a lost connection is retried quietly
            // every retry.backoff.ms until the leader moves, and would flood the log.
            logger.log(
                level: error == nil ? .debug : .warning,
                "Retrying batch",
                metadata: [
                    "partition": "\(batch.partition)", "sequence": "\(batch.baseSequence)",
                    "error": "\(error.map { "\($0)" } ?? message ?? "request failed")",
                ]
            )
            queue.requeue(batch, at: now + retryBackoff)
            return
        }
        let code = error ?? .requestTimedOut
        if idempotent {
            if error == nil || [.outOfOrderSequenceNumber, .unknownProducerID, .invalidProducerEpoch].contains(code) {
                // The sequence is broken, or unknown (the broker may have written a batch that was not answered):
                // a new producer id starts the partitions' sequences again.
                state.withLock { $0.needsNewProducerID = true }
            } else {
                queue.giveBackSequences(of: batch)
            }
        }
        logger.debug("Batch failed", metadata: ["partition": "\(batch.partition)", "error": "\(code)"])
        finish(queue, batch, .failure(.broker(code, message: message)))
    }

    private func finish(
        _ queue: PartitionQueue,
        _ batch: ProducerBatch,
        _ result: Result<(baseOffset: Offset, logAppendTime: Int64), ProducerError>
    ) {
        // Records are told first: once the queue is idle, `close` and `flush` may return, and every callback must
        // have run by then.
        complete(batch, result)
        queue.finished(batch.baseSequence)
    }

    private func complete(
        _ batch: ProducerBatch,
        _ result: Result<(baseOffset: Offset, logAppendTime: Int64), ProducerError>
    ) {
        batch.complete(result)
        switch result {
        case .success: metrics.recordsSent.increment(by: Int64(batch.recordCount))
        case .failure: metrics.recordErrors.increment(by: Int64(batch.recordCount))
        }
        memory.release(batch.reservedBytes)
    }

    /// Fails every batch not yet sent (a forced close).
    func abandonUnsent() {
        for queue in accumulator.queues {
            for batch in queue.removeAll() { complete(batch, .failure(.closed)) }
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
