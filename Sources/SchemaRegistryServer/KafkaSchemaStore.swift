import KafkaClient
import KafkaCore
public import Logging
import NIOCore
public import SchemaRegistry

/// The registry's state kept in the `_schemas` topic, as Confluent Schema Registry keeps it (its `KafkaStore`):
/// the topic is created at startup when missing (1 partition, `cleanup.policy=compact`, replication
/// `kafkastore.topic.replication.factor` bounded by the live brokers) and refused when it is not compacted; a
/// reader consumes it from offset 0 into memory for as long as the store runs, so records other instances write
/// are followed too; a write first appends a NOOP record and waits until the reader has read it (so it decides on
/// everything written before it, by any instance: Confluent's way, since a compacted topic's end offset may lie
/// past its last record), produces its records (acks=all) and returns once the reader has applied them.
///
/// Lifecycle: `init`, `start()` (topic, then the whole topic read before the first request is served), `run()`
/// (the reader; returns when cancelled), `close()`. Writes are one at a time (an explicit queue: the actor is
/// reentrant across its awaits).
public actor KafkaSchemaStore: SchemaStore {
    public struct Configuration: Sendable {
        public var bootstrapServers: [String]
        public var topic = "_schemas"
        public var replicationFactor: Int16 = 3
        public var defaultCompatibility = CompatibilityLevel.backward
        /// `kafkastore.timeout.ms`: how long a write waits for its records to be read back.
        public var timeoutMs: Int64 = 500

        public init(bootstrapServers: [String]) { self.bootstrapServers = bootstrapServers }
    }

    let configuration: Configuration
    let logger: Logger
    let admin: KafkaAdminClient
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    var partition: TopicPartition { TopicPartition(configuration.topic, 0) }
    var current: SchemaRegistryState
    /// The offset after the last record applied.
    var applied: Int64 = 0
    var readWaiters: [(offset: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    var writing = false
    var writeQueue: [CheckedContinuation<Void, Never>] = []
    /// With ZooKeeper mode: only the leader writes, with ids from the ranges it claims.
    var leadership: ZooKeeperLeadership?

    public func setLeadership(_ leadership: ZooKeeperLeadership) { self.leadership = leadership }

    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        var client = ClientConfiguration()
        client.bootstrapServers = configuration.bootstrapServers
        client.clientID = "schema-registry"
        admin = try KafkaAdminClient(configuration: client, logger: logger)
        producer = try KafkaProducer(
            properties: [
                "bootstrap.servers": configuration.bootstrapServers.joined(separator: ","), "acks": "all",
                "client.id": "schema-registry-producer", "linger.ms": "0",
            ],
            logger: logger
        )
        consumer = try KafkaConsumer(
            properties: [
                "bootstrap.servers": configuration.bootstrapServers.joined(separator: ","),
                "client.id": "schema-registry-reader", "enable.auto.commit": "false",
                "auto.offset.reset": "earliest", "fetch.max.wait.ms": "100",
            ],
            logger: logger
        )
        current = SchemaRegistryState(defaultCompatibility: configuration.defaultCompatibility)
    }

    public var state: SchemaRegistryState { current }

    /// Makes or checks the topic, then reads all of it.
    public func start() async throws {
        try await ensureTopic()
        try await consumer.assign([partition])
        try await consumer.seekToBeginning([partition])
        // Confluent's way to the end: a NOOP record, read back (a compacted topic's end offset may lie past its
        // last record).
        let end = try await appendNoop()
        while applied <= end {
            try await readOnce()
        }
        logger.info(
            "Read the schemas topic",
            metadata: ["topic": "\(configuration.topic)", "records": "\(end)", "subjects": "\(current.subjects.count)"]
        )
    }

    func ensureTopic() async throws {
        let topic = configuration.topic
        let existing = try await admin.describeTopics([topic]).first { $0.name == topic && $0.error == .none }
        if existing == nil {
            let brokers = try await admin.describeCluster().brokers.count
            let factor = Int16(max(1, min(Int(configuration.replicationFactor), brokers)))
            if factor < configuration.replicationFactor {
                logger.warning(
                    "Creating the schemas topic with fewer replicas than kafkastore.topic.replication.factor",
                    metadata: ["replicas": "\(factor)", "liveBrokers": "\(brokers)"]
                )
            }
            let result = try await admin.createTopics([
                NewTopic(
                    name: topic,
                    numPartitions: 1,
                    replicationFactor: factor,
                    configs: ["cleanup.policy": "compact"]
                )
            ])
            if case .failure(let error) = result[topic], error.code != .topicAlreadyExists {
                throw StoreError("Cannot create the schemas topic \(topic): \(error)")
            }
        }
        let configs = try await admin.describeConfigs([ConfigResource(.topic, topic)])
        let policy = try configs[ConfigResource(.topic, topic)]?.get().first { $0.name == "cleanup.policy" }?.value
        guard policy == "compact" else {
            throw StoreError(
                "The retention policy of the schema topic \(topic) is incorrect. You must configure the topic to "
                    + "'compact' cleanup policy to avoid Kafka deleting your schemas after a week."
            )
        }
    }

    /// Appends a NOOP record; its offset.
    func appendNoop() async throws -> Int64 {
        try await producer.send(topic: configuration.topic, key: SchemaRegistryKey.noop.bytes, value: nil, partition: 0)
            .offset
    }

    /// The reader, until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await readOnce()
            } catch {
                if Task.isCancelled { break }
                logger.warning("Reading the schemas topic failed, retrying: \(error)")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func readOnce() async throws {
        let records = try await consumer.poll(timeout: .milliseconds(200))
        for record in records {
            applied = record.offset + 1
            guard let key = record.key.flatMap({ SchemaRegistryKey(bytes: Array(buffer: $0)) }) else {
                logger.warning(
                    "Ignoring a record that is not a schema registry key",
                    metadata: ["offset": "\(record.offset)"]
                )
                continue
            }
            current.apply(SchemaRegistryRecord(key: key, value: record.value.map { String(buffer: $0) }))
        }
        if !records.isEmpty {
            let ready = readWaiters.filter { $0.offset <= applied }
            readWaiters.removeAll { $0.offset <= applied }
            for waiter in ready { waiter.continuation.resume() }
        }
    }

    /// Waits until the reader has applied everything before `offset` (or the store's timeout passes).
    func waitApplied(_ offset: Int64) async throws(SchemaRegistryError) {
        guard applied < offset else { return }
        let deadline = ContinuousClock.now + .milliseconds(max(configuration.timeoutMs, 1) * 20)
        while applied < offset {
            guard ContinuousClock.now < deadline else {
                throw SchemaRegistryError(
                    50002,
                    "Write to the Kafka store timed out while waiting for it to be read back"
                )
            }
            await withCheckedContinuation { continuation in readWaiters.append((offset, continuation)) }
        }
    }

    public func update<Answer: Sendable>(
        _ decide:
            @Sendable (SchemaRegistryState, _ idFloor: Int32) throws(SchemaRegistryError) -> (
                Answer, [SchemaRegistryRecord]
            )
    ) async throws(SchemaRegistryError) -> Answer {
        if writing { await withCheckedContinuation { writeQueue.append($0) } }
        writing = true
        defer {
            if writeQueue.isEmpty { writing = false } else { writeQueue.removeFirst().resume() }
        }
        // Decide on everything written so far, by this instance or another: up to a NOOP record of its own.
        let end: Int64
        do {
            end = try await appendNoop()
        } catch {
            throw SchemaRegistryError(50001, "Error while reading the Kafka store: \(error)")
        }
        try await waitApplied(end + 1)
        var idFloor: Int32 = 1
        if let leadership {
            guard await leadership.isLeader else { throw SchemaRegistryError(50004, "Unknown leader") }
            idFloor = try await leadership.idFloor(maxID: current.maxID)
        }
        let (answer, records) = try decide(current, idFloor)
        var last: Int64 = -1
        for record in records {
            do {
                let metadata = try await producer.send(
                    topic: configuration.topic,
                    key: record.key.bytes,
                    value: record.value.map { Array($0.utf8) },
                    partition: 0
                )
                last = metadata.offset
            } catch {
                logger.error("Writing to the schemas topic failed: \(error)")
                throw SchemaRegistryError(50001, "Error while registering schema: the Kafka store refused the write")
            }
        }
        if last >= 0 { try await waitApplied(last + 1) }
        if let leadership {
            for record in records {
                if case .schema = record.key, let value = record.value.flatMap(SchemaVersionValue.init(text:)) {
                    await leadership.used(value.id)
                }
            }
        }
        return answer
    }

    public func close() async {
        await producer.close()
        await consumer.close()
        await admin.close()
        for waiter in readWaiters { waiter.continuation.resume() }
        readWaiters = []
    }
}

/// A store that cannot start.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
