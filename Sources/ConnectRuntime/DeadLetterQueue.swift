import KafkaClient
import KafkaConnect
import KafkaCore
import Logging
import Synchronization

/// A connector's error handling settings (Kafka 2.8's `errors.*`): `errors.tolerance` (`none`: a record that
/// cannot be converted or transformed fails the task; `all`: it is skipped), `errors.log.enable` and
/// `errors.log.include.messages` (one log line per skipped record), and for sinks the dead-letter queue
/// (`errors.deadletterqueue.topic.name`, its `…topic.replication.factor` when created, `…context.headers.enable`).
/// Errors raised by the connector's own task code are never tolerated, as in Kafka.
struct ErrorPolicy: Sendable {
    var tolerateAll = false
    var log = false
    var includeMessages = false
    var deadLetterTopic: String?
    var deadLetterReplication: Int16 = 3
    var contextHeaders = false
    /// `errors.retry.timeout` (0: no retries; -1: forever) and `errors.retry.delay.max.ms`.
    var retryTimeoutMs: Int64 = 0
    var retryDelayMaxMs: Int64 = 60_000

    init(_ properties: [String: String]) throws(ConnectConfigError) {
        switch properties["errors.tolerance"]?.lowercased() {
        case nil, "none": tolerateAll = false
        case "all": tolerateAll = true
        case let other?:
            throw ConnectConfigError(
                "Invalid value \(other) for configuration errors.tolerance: String must be one of: none, all"
            )
        }
        log = properties["errors.log.enable"]?.lowercased() == "true"
        includeMessages = properties["errors.log.include.messages"]?.lowercased() == "true"
        deadLetterTopic = properties["errors.deadletterqueue.topic.name"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = properties["errors.deadletterqueue.topic.replication.factor"] {
            guard let factor = Int16(text), factor >= 1 else {
                throw ConnectConfigError(
                    "Invalid value \(text) for configuration errors.deadletterqueue.topic.replication.factor"
                )
            }
            deadLetterReplication = factor
        }
        contextHeaders = properties["errors.deadletterqueue.context.headers.enable"]?.lowercased() == "true"
        if let text = properties["errors.retry.timeout"] {
            guard let timeout = Int64(text), timeout >= -1 else {
                throw ConnectConfigError("Invalid value \(text) for configuration errors.retry.timeout")
            }
            retryTimeoutMs = timeout
        }
        if let text = properties["errors.retry.delay.max.ms"] {
            guard let delay = Int64(text), delay >= 0 else {
                throw ConnectConfigError("Invalid value \(text) for configuration errors.retry.delay.max.ms")
            }
            retryDelayMaxMs = delay
        }
    }

    /// Runs one stage of a record's processing (a converter), retrying it while it fails with a retriable error and
    /// `errors.retry.timeout` has not passed, as Java's `RetryWithToleranceOperator`: waits of 300 ms doubling
    /// each time, at most `errors.retry.delay.max.ms` and never past the deadline. What is still failing then is
    /// thrown to the tolerance handling.
    func retrying<Result>(_ stage: () async throws(ConnectDataError) -> Result) async throws(ConnectDataError) -> Result
    {
        let start = ContinuousClock.now
        var delayMs: Int64 = 300
        while true {
            do {
                return try await stage()
            } catch {
                guard error.isRetriable, retryTimeoutMs != 0 else { throw error }
                var wait = min(delayMs, retryDelayMaxMs)
                if retryTimeoutMs > 0 {
                    let left = retryTimeoutMs - Int64((ContinuousClock.now - start) / .milliseconds(1))
                    guard left > 0 else { throw error }
                    wait = min(wait, Int64(left))
                }
                try? await Task.sleep(for: .milliseconds(wait))
                if Task.isCancelled { throw error }
                delayMs = min(delayMs * 2, max(retryDelayMaxMs, 1))
            }
        }
    }
}

/// Where a record failed (Java's `Stage`), written in the `__connect.errors.stage` header.
enum ErrorStage: String, Sendable {
    case keyConverter = "KEY_CONVERTER", valueConverter = "VALUE_CONVERTER", transformation = "TRANSFORMATION"
}

/// A sink connector's dead-letter queue (Java's `DeadLetterQueueReporter`): each record skipped under
/// `errors.tolerance=all` is produced to the topic as it was consumed (key, value, timestamp, headers), with
/// Kafka's `__connect.errors.*` context headers when enabled. The topic is created (one partition) when missing.
/// Used by its sink task only; `flush` before the task commits its consumed offsets, so a skipped record is in
/// the queue before its offset is committed.
final class DeadLetterQueue: Sendable {
    let topic: String
    let contextHeaders: Bool
    let producer: KafkaProducer
    private let failure = Mutex<ProducerError?>(nil)

    init(policy: ErrorPolicy, topic: String, clientProperties: [String: String], logger: Logger) async throws {
        self.topic = topic
        contextHeaders = policy.contextHeaders
        let admin = try KafkaAdminClient(
            properties: ["bootstrap.servers": clientProperties["bootstrap.servers"] ?? ""],
            logger: logger
        )
        defer { admin.cluster.close() }
        let created = try await admin.createTopics([
            NewTopic(name: topic, numPartitions: 1, replicationFactor: policy.deadLetterReplication)
        ])
        if case .failure(let error)? = created[topic], error.code != .topicAlreadyExists {
            logger.warning("Cannot create the dead-letter queue topic \(topic): \(error)")
        }
        var properties = clientProperties
        properties["acks"] = "all"
        producer = try KafkaProducer(properties: properties, logger: logger)
    }

    /// Queues `record` with the context of its failure.
    func report(
        _ record: ConsumerRecord,
        stage: ErrorStage,
        className: String,
        error: any Error,
        task: ConnectorTaskID
    ) async throws {
        var headers = record.headers.map { (key: $0.key, value: $0.value.map { Array(buffer: $0) }) }
        if contextHeaders {
            let exception = "org.apache.kafka.connect.errors.DataException"
            let context: [(String, String)] = [
                ("__connect.errors.topic", record.topic), ("__connect.errors.partition", String(record.partition)),
                ("__connect.errors.offset", String(record.offset)), ("__connect.errors.connector.name", task.connector),
                ("__connect.errors.task.id", String(task.task)), ("__connect.errors.stage", stage.rawValue),
                ("__connect.errors.class.name", className), ("__connect.errors.exception.class.name", exception),
                ("__connect.errors.exception.message", "\(error)"),
                ("__connect.errors.exception.stacktrace", "\(exception): \(error)"),
            ]
            headers += context.map { (key: $0.0, value: Array($0.1.utf8)) }
        }
        try await producer.send(
            topic: topic,
            key: record.key.map { Array(buffer: $0) },
            value: record.value.map { Array(buffer: $0) },
            headers: headers,
            timestamp: record.timestamp
        ) { result in
            if case .failure(let error) = result { self.failure.withLock { $0 = $0 ?? error } }
        }
    }

    /// Waits until everything reported is acknowledged; throws if any of it failed.
    func flush() async throws {
        await producer.flush()
        if let error = failure.withLock({ $0 }) {
            throw ConnectDataError("cannot write to the dead-letter queue \(topic): \(error)")
        }
    }

    func close() async { await producer.close() }
}
