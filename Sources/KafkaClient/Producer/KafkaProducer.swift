public import CoreMetrics
public import KafkaCore
public import Logging
public import NIOCore
public import NIOPosix
import Synchronization

/// A Kafka producer (the Java client's `KafkaProducer`): `send` partitions a record (Java's partitioner, so keys
/// land where a Java producer puts them), appends it to its partition's open batch and returns; a background
/// sender ships batches by leader, retries what may be retried, and reports each record's partition and offset.
///
/// ```swift
/// var configuration = ProducerConfiguration()
/// configuration.client.bootstrapServers = ["127.0.0.1:9092"]
/// let producer = try KafkaProducer(configuration: configuration)
/// let written = try await producer.send(topic: "orders", key: Array("id-1".utf8), value: Array("paid".utf8))
/// print(written.partition, written.offset)
/// await producer.close()
/// ```
///
/// Lifecycle: `init` starts the sender; `send` from any task; `flush()` waits for everything sent so far;
/// `close()` sends what remains and stops. A record is acknowledged or failed within `delivery.timeout.ms`.
public final class KafkaProducer: Sendable {
    public let configuration: ProducerConfiguration
    private let cluster: Cluster
    private let accumulator = RecordAccumulator()
    private let memory: BufferMemory
    private let sender: Sender
    private let senderTask: Mutex<Task<Void, Never>?>
    private let closed = Atomic<Bool>(false)
    private let clock = SystemClock()

    /// A producer with `configuration` (validated: see `ProducerConfiguration.validated()`).
    public init(
        configuration: ProducerConfiguration,
        logger: Logger = Logger(label: "swiftkafka.producer"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigError) {
        var configuration = try configuration.validated()
        if configuration.client.clientID.isEmpty {
            configuration.client.clientID = "producer-\(ClientIDs.next())"  // the Java client's default
        }
        self.configuration = configuration
        cluster = try Cluster(configuration: configuration.client, group: group, logger: logger)
        memory = BufferMemory(limit: Int(configuration.bufferMemory))
        sender = Sender(
            configuration: configuration,
            cluster: cluster,
            accumulator: accumulator,
            memory: memory,
            metrics: ProducerMetrics(clientID: configuration.client.clientID, factory: metrics),
            logger: logger
        )
        let sender = self.sender
        senderTask = Mutex(Task { await sender.run() })
    }

    /// A producer configured by Kafka property names (`bootstrap.servers`, `acks`, `linger.ms`, ...).
    public convenience init(
        properties: [String: String],
        logger: Logger = Logger(label: "swiftkafka.producer"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigError) {
        try self.init(
            configuration: try ProducerConfiguration(properties: properties),
            logger: logger,
            group: group,
            metrics: metrics
        )
    }

    /// Sends a record and returns where it was written, once it is acknowledged (as `acks` asks).
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)] = [],
        partition: PartitionID? = nil,
        timestamp: Int64? = nil
    ) async throws(ProducerError) -> RecordMetadata {
        let target = try await waitedTarget(
            topic: topic,
            key: key,
            value: value,
            headers: headers,
            partition: partition
        )
        let result = await withCheckedContinuation { continuation in
            append(target, key: key, value: value, headers: headers, timestamp: timestamp) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    /// Sends a record without waiting for its acknowledgement: returns once it is in its batch (after waiting for
    /// metadata or buffer room, up to `max.block.ms`); `callback`, when given, is told the outcome.
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)] = [],
        partition: PartitionID? = nil,
        timestamp: Int64? = nil,
        callback: DeliveryCallback?
    ) async throws(ProducerError) {
        let target: Target
        if let known = try immediateTarget(topic: topic, key: key, value: value, headers: headers, partition: partition)
        {
            target = known
        } else {
            target = try await waitedTarget(
                topic: topic,
                key: key,
                value: value,
                headers: headers,
                partition: partition
            )
        }
        append(target, key: key, value: value, headers: headers, timestamp: timestamp, callback: callback)
    }

    /// The largest record `send` accepts (one that could never be sent or buffered is refused at once).
    private var recordSizeLimit: Int { min(Int(configuration.maxRequestSize), Int(configuration.bufferMemory)) }

    /// Where a record goes and the room it took in the buffer.
    private struct Target {
        let route: TopicRoute
        let queue: PartitionQueue
        let size: Int
    }

    /// The record's queue and its reserved size when the topic is known and the buffer has room (the hot path: no
    /// suspension, no async frame); nil when the caller has to wait (`waitedTarget`).
    private func immediateTarget(
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)],
        partition: PartitionID?
    ) throws(ProducerError) -> Target? {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        guard let route = accumulator.route(of: topic) else { return nil }
        let size = Self.estimatedSize(key: key, value: value, headers: headers)
        guard size <= recordSizeLimit else { return nil }
        if let partition, !(0..<route.partitionCount).contains(partition) { return nil }
        guard memory.tryReserve(size) else { return nil }
        return Target(
            route: route,
            queue: route.queues[Int(partition ?? Partitioner.partition(of: route, key: key))],
            size: size
        )
    }

    /// The record's queue and its reserved size, after waiting for metadata and buffer room when needed.
    private func waitedTarget(
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)],
        partition: PartitionID?
    ) async throws(ProducerError) -> Target {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        let size = Self.estimatedSize(key: key, value: value, headers: headers)
        let limit = recordSizeLimit
        guard size <= limit else { throw .recordTooLarge(size: size, limit: limit) }
        let route: TopicRoute
        if let known = accumulator.route(of: topic) {
            route = known
        } else {
            route = try await learnRoute(of: topic)
        }
        if let partition, !(0..<route.partitionCount).contains(partition) {
            throw .broker(.unknownTopicOrPartition, message: "topic \(topic) has no partition \(partition)")
        }
        if !memory.tryReserve(size) {
            try await memory.reserve(size, timeout: .milliseconds(configuration.maxBlockMs))
        }
        let chosen = partition ?? Partitioner.partition(of: route, key: key)
        return Target(route: route, queue: route.queues[Int(chosen)], size: size)
    }

    private func append(
        _ target: Target,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)],
        timestamp: Int64?,
        callback: DeliveryCallback?
    ) {
        let (full, newBatch) = target.queue.append(
            timestamp: timestamp ?? clock.milliseconds,
            key: key,
            value: value,
            headers: headers,
            size: target.size,
            batchSize: Int(configuration.batchSize),
            codec: configuration.compressionType,
            callback: callback
        )
        if full, key == nil {
            Partitioner.batchClosed(of: target.route, partition: target.queue.partition.partition)
        }
        // A new batch starts its linger (the sender learns when it is due); a full one is ready now.
        if full || newBatch { sender.wakeup.signal() }
    }

    /// The route of a topic not written to before, made from its metadata (waiting up to `max.block.ms`).
    private func learnRoute(of topic: String) async throws(ProducerError) -> TopicRoute {
        do {
            let metadata = try await cluster.topic(
                topic,
                allowAutoTopicCreation: true,
                deadline: .now + .milliseconds(configuration.maxBlockMs)
            )
            return accumulator.addRoute(topic: topic, partitionCount: metadata.partitionCount)
        } catch let error as TopicError {
            throw .broker(error.error, message: "\(error)")
        } catch {
            throw .timedOut("metadata of \(topic): \(error)")
        }
    }

    /// Waits until every record sent before the call is acknowledged or failed.
    public func flush() async {
        await sender.flush()
    }

    /// Sends what remains, waits for the answers and stops. Later sends fail with `closed`.
    public func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        sender.beginClose()
        await senderTask.withLock { $0 }?.value
        cluster.close()
    }

    /// A record's size in its batch, as the buffer and `batch.size` count it (an upper bound of the encoding).
    static func estimatedSize(key: [UInt8]?, value: [UInt8]?, headers: [(key: String, value: [UInt8]?)]) -> Int {
        let fields = (key?.count ?? 0) + (value?.count ?? 0) + 21
        return headers.reduce(fields) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 10 }
    }
}
