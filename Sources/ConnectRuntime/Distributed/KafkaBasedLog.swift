import KafkaClient
import KafkaConnect
import KafkaCore
import Logging
import NIOCore

/// One of a distributed worker's internal topics read as a log (Java's `KafkaBasedLog`): the topic is created
/// compacted when missing (`TopicSettings`), every partition is read from the beginning by a group-less consumer,
/// and `readToEnd` returns the records not seen yet, in order per partition, up to the end offsets of
/// the moment it was called; `send` writes a record with `acks=all` and waits for its acknowledgement.
///
/// Lifecycle: `start` (create, assign, read everything), then `readToEnd` / `send` from the owning store, `stop`.
/// An actor: the consumer's position and the owner's reads go one at a time.
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
        guard let description = try await admin.describeTopics([topic.name]).first, description.error == .none
        else { throw ConnectConfigError("Cannot describe the internal topic \(topic.name)") }
        partitions = description.partitions.map { TopicPartition(topic.name, $0.partition) }.sorted()
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

    /// Reads every record up to the topic's current end; returns them in order per partition.
    func readToEnd() async throws -> [Record] {
        guard let consumer else { throw ConnectDataError("the internal topic \(topic.name) is not started") }
        let ends = try await consumer.endOffsets(partitions)
        var records: [Record] = []
        while true {
            var behind = false
            for partition in partitions where try await consumer.position(partition) < ends[partition] ?? 0 {
                behind = true
            }
            guard behind else { return records }
            for record in try await consumer.poll(timeout: .milliseconds(200)) {
                records.append(
                    Record(
                        partition: record.partition,
                        offset: record.offset,
                        key: record.key.map { Array(buffer: $0) },
                        value: record.value.map { Array(buffer: $0) }
                    )
                )
            }
        }
    }

    /// Writes a record (a nil value is a tombstone) and waits until the cluster acknowledged it.
    @discardableResult
    func send(key: String, value: [UInt8]?) async throws -> RecordMetadata {
        guard let producer else { throw ConnectDataError("the internal topic \(topic.name) is not started") }
        return try await producer.send(topic: topic.name, key: Array(key.utf8), value: value)
    }

    func stop() async {
        await consumer?.close()
        consumer = nil
        await producer?.close()
        producer = nil
    }
}
