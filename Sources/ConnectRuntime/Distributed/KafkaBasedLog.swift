import KafkaClient
import KafkaConnect
import KafkaCore
import Logging
import NIOCore

/// One of a distributed worker's internal topics read as a log (Java's `KafkaBasedLog`): the topic is created
/// compacted when missing (`TopicSettings`), and one reader task reads every partition from the beginning with a
/// group-less consumer, handing each poll's records to the owner's `apply` (in order: the next poll waits for it).
/// `readToEnd` returns once everything up to the end offsets of the moment it was called has been applied;
/// `send` writes a record with `acks=all` and waits for its acknowledgement.
///
/// Lifecycle: `start` (create, assign, start reading), then `readToEnd` / `send` from the owning store, `stop`.
/// An actor: the reader task alone polls; the positions it has applied are shared through it.
actor KafkaBasedLog {
    /// How the worker creates the topic (`config.storage.*`, `offset.storage.*`, `status.storage.*`).
    struct TopicSettings: Sendable {
        var name: String
        var partitions: Int32
        var replicationFactor: Int16
    }

    /// A record as the log hands it over.
    struct Record: Sendable {
        var partition: PartitionID
        var offset: Offset
        var key: [UInt8]?
        var value: [UInt8]?
    }

    let topic: TopicSettings
    let clientProperties: [String: String]
    let logger: Logger
    private var consumer: KafkaConsumer?
    private var producer: KafkaProducer?
    private var partitions: [TopicPartition] = []
    /// The position up to which each partition's records have been applied.
    private var applied: [TopicPartition: Offset] = [:]
    private var reader: Task<Void, Never>?

    init(topic: TopicSettings, clientProperties: [String: String], logger: Logger) {
        self.topic = topic
        self.clientProperties = clientProperties
        self.logger = logger
    }

    /// Creates the topic when missing and opens its consumer and producer.
    func start() async throws {
        let admin = try KafkaAdminClient(properties: clientProperties, logger: logger)
        defer { admin.cluster.close() }
        let outcome = try await admin.createTopics([
            NewTopic(
                name: topic.name,
                numPartitions: topic.partitions,
                replicationFactor: topic.replicationFactor,
                configs: ["cleanup.policy": "compact"]
            )
        ])
        switch outcome[topic.name] {
        case .failure(let error) where error.code != .topicAlreadyExists:
            throw ConnectConfigError("Cannot create the internal topic \(topic.name): \(error)")
        case .success: logger.info("Created the internal topic \(topic.name)")
        default: break
        }
        partitions = try await partitionsOnceKnown(admin)
        var consumerProperties = clientProperties
        consumerProperties["enable.auto.commit"] = "false"
        consumerProperties["auto.offset.reset"] = "earliest"
        consumerProperties["isolation.level"] = "read_committed"
        consumerProperties.removeValue(forKey: "group.id")
        let consumer = try KafkaConsumer(properties: consumerProperties, logger: logger)
        try await consumer.assign(partitions)
        try await consumer.seekToBeginning(partitions)
        self.consumer = consumer
        var producerProperties = clientProperties
        producerProperties["acks"] = "all"
        producerProperties["max.in.flight.requests.per.connection"] = "1"
        producerProperties["enable.idempotence"] = "false"
        producer = try KafkaProducer(properties: producerProperties, logger: logger)
    }

    /// The topic's partitions. A topic just created may not be in every broker's metadata yet (CreateTopics waits
    /// only for the broker that took it), so the lookup is repeated for up to 30 s, backing off from 100 ms to 1 s,
    /// as Kafka's `KafkaBasedLog.start` does.
    private func partitionsOnceKnown(_ admin: KafkaAdminClient) async throws -> [TopicPartition] {
        let deadline = ContinuousClock.now + .seconds(30)
        var pause = Duration.milliseconds(100)
        var last = "no answer"
        while true {
            do {
                if let description = try await admin.describeTopics([topic.name]).first {
                    if description.error == .none && !description.partitions.isEmpty {
                        return description.partitions.map { TopicPartition(topic.name, $0.partition) }.sorted()
                    }
                    last = "\(description.error)"
                }
            } catch {
                last = "\(error)"
            }
            guard ContinuousClock.now + pause < deadline else {
                throw ConnectConfigError("Cannot describe the internal topic \(topic.name) within 30 s: \(last)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
    }

    /// Starts the reader task: every poll's records go to `apply`, then the positions move on.
    func startReading(_ apply: @escaping @Sendable ([Record]) async -> Void) {
        reader = Task { await self.read(apply) }
    }

    private func read(_ apply: @Sendable ([Record]) async -> Void) async {
        while !Task.isCancelled, let consumer {
            do {
                let polled = try await consumer.poll(timeout: .milliseconds(100))
                if !polled.isEmpty {
                    await apply(
                        polled.map {
                            Record(
                                partition: $0.partition,
                                offset: $0.offset,
                                key: $0.key.map { Array(buffer: $0) },
                                value: $0.value.map { Array(buffer: $0) }
                            )
                        }
                    )
                }
                for partition in partitions { applied[partition] = try await consumer.position(partition) }
            } catch {
                if Task.isCancelled { return }
                logger.warning("Cannot read the internal topic \(topic.name): \(error)")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Waits until every record up to the topic's current end has been applied (or `timeout` passed).
    func readToEnd(timeout: Duration = .seconds(30)) async throws {
        guard let consumer else { throw ConnectDataError("the internal topic \(topic.name) is not started") }
        let ends = try await consumer.endOffsets(partitions)
        let deadline = ContinuousClock.now + timeout
        while partitions.contains(where: { applied[$0, default: 0] < ends[$0] ?? 0 }) {
            guard ContinuousClock.now < deadline else {
                throw ConnectDataError("cannot read the internal topic \(topic.name) to its end within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Writes a record (a nil value is a tombstone) and waits until the cluster acknowledged it.
    @discardableResult
    func send(key: String, value: [UInt8]?) async throws -> RecordMetadata {
        guard let producer else { throw ConnectDataError("the internal topic \(topic.name) is not started") }
        return try await producer.send(topic: topic.name, key: Array(key.utf8), value: value)
    }

    func stop() async {
        reader?.cancel()
        await reader?.value
        reader = nil
        await consumer?.close()
        consumer = nil
        await producer?.close()
        producer = nil
    }
}
