import KafkaClient
import KafkaConnect
import KafkaCore
import Logging
import NIOCore

/// Runs one sink task (Java's `WorkerSinkTask`): a consumer in group `connect-<connector>` (auto-commit off,
/// `auto.offset.reset=earliest`, as Connect sets them) subscribed to `topics` or `topics.regex`; each poll's
/// records are converted, transformed (a dropped or skipped record still counts as consumed; see `ErrorPolicy`)
/// and handed to `put`; every `offset.flush.interval.ms` and on stop the task is asked to
/// `flush` (what it was given becomes durable) and only then the consumed offsets are committed, so a restarted
/// task repeats at most the records since the last commit and never skips. A record that cannot be converted or
/// a `put`/`flush` that throws fails the task (`errors.tolerance=none`). Lifecycle as `WorkerSourceTask`.
struct WorkerSinkTask: Sendable {
    let id: ConnectorTaskID
    let taskType: any SinkTask.Type
    let config: [String: String]
    let topics: [String]
    let topicsRegex: String?
    let transforms: TransformationChain
    let keyConverter: any Converter
    let valueConverter: any Converter
    let keyConverterClass: String
    let valueConverterClass: String
    let errors: ErrorPolicy
    let consumerProperties: [String: String]
    let counters: TaskCounters
    let flushInterval: Duration
    let logger: Logger

    func run(until stop: StopFlag, running: @Sendable () async -> Void) async throws {
        var properties = consumerProperties
        properties["group.id"] = "connect-\(id.connector)"
        properties["enable.auto.commit"] = "false"
        properties["auto.offset.reset"] = properties["auto.offset.reset"] ?? "earliest"
        properties["client.id"] = properties["client.id"] ?? "connector-consumer-\(id.connector)-\(id.task)"
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        let task = taskType.init()
        var deadLetters: DeadLetterQueue?
        var consumed: [TopicPartition: OffsetAndMetadata] = [:]
        var lastCommit = ContinuousClock.now

        func commit() async throws {
            let started = ContinuousClock.now
            try await deadLetters?.flush()
            try await task.flush()
            lastCommit = .now
            guard !consumed.isEmpty else { return }
            do {
                try await consumer.commitSync(consumed)
                consumed.removeAll()
            } catch {
                // A rebalance took partitions away: their records are read again by their new owner.
                logger.warning(
                    "Commit of \(id) offsets failed, records since the last commit will be read again: \(error)"
                )
                consumed.removeAll()
            }
            lastCommit = .now
            counters.committed(after: lastCommit - started)
        }

        do {
            if errors.tolerateAll, let topic = errors.deadLetterTopic {
                var clientProperties = consumerProperties.filter { $0.key == "bootstrap.servers" }
                clientProperties["client.id"] = "connector-dlq-producer-\(id.connector)-\(id.task)"
                deadLetters = try await DeadLetterQueue(
                    policy: errors,
                    topic: topic,
                    clientProperties: clientProperties,
                    logger: logger
                )
            }
            try await task.start(config)
            if let topicsRegex {
                try await consumer.subscribe(pattern: topicsRegex)
            } else {
                try await consumer.subscribe(topics: topics)
            }
            await running()
            while !stop.isSet {
                let records = try await consumer.poll(timeout: .milliseconds(500))
                counters.add(.recordsIn, records.count)
                if !records.isEmpty {
                    var batch: [SinkRecord] = []
                    batch.reserveCapacity(records.count)
                    for record in records {
                        if let processed = try await process(record, deadLetters: deadLetters) {
                            batch.append(processed)
                        }
                        consumed[record.topicPartition] = OffsetAndMetadata(
                            offset: record.offset + 1,
                            leaderEpoch: record.leaderEpoch
                        )
                    }
                    counters.add(.recordsOut, batch.count)
                    try await task.put(batch)
                }
                if ContinuousClock.now - lastCommit >= flushInterval { try await commit() }
            }
            try await commit()
            await task.stop()
            await consumer.close()
            await deadLetters?.close()
        } catch {
            await task.stop()
            await consumer.close()
            await deadLetters?.close()
            throw error
        }
    }

    /// The record converted and transformed (nil: dropped by a transform, or skipped under
    /// `errors.tolerance=all`, logged and put in the dead-letter queue when there is one).
    func process(_ record: ConsumerRecord, deadLetters: DeadLetterQueue?) async throws -> SinkRecord? {
        var stage = ErrorStage.keyConverter
        do {
            let key = try await errors.retrying { () throws(ConnectDataError) in
                try await keyConverter.toConnectData(topic: record.topic, bytes: record.key.map { Array(buffer: $0) })
            }
            stage = .valueConverter
            let value = try await errors.retrying { () throws(ConnectDataError) in
                try await valueConverter.toConnectData(
                    topic: record.topic,
                    bytes: record.value.map { Array(buffer: $0) }
                )
            }
            stage = .transformation
            return try transforms.apply(sinkRecord(record, key: key, value: value))
        } catch {
            counters.add(.recordErrors)
            guard errors.tolerateAll else {
                throw ConnectDataError("Tolerance exceeded in error handler: \(stage.rawValue): \(error)")
            }
            let className =
                stage == .keyConverter
                ? keyConverterClass
                : stage == .valueConverter ? valueConverterClass : "org.apache.kafka.connect.transforms.Transformation"
            if errors.log {
                let where_ =
                    errors.includeMessages
                    ? ", where consumed record is {topic='\(record.topic)', partition=\(record.partition), offset=\(record.offset)}"
                    : ""
                logger.error(
                    "Error encountered in task \(id). Executing stage '\(stage.rawValue)' with class '\(className)'\(where_): \(error)"
                )
            }
            counters.add(.recordsSkipped)
            if let deadLetters {
                try await deadLetters.report(record, stage: stage, className: className, error: error, task: id)
                counters.add(.deadLetterRequests)
            }
            return nil
        }
    }

    func sinkRecord(_ record: ConsumerRecord, key: SchemaAndValue, value: SchemaAndValue) -> SinkRecord {
        return SinkRecord(
            topic: record.topic,
            kafkaPartition: record.partition,
            kafkaOffset: record.offset,
            keySchema: key.schema,
            key: key.value,
            valueSchema: value.schema,
            value: value.value,
            timestamp: record.timestamp,
            timestampType: record.timestampType == .logAppendTime ? .logAppendTime : .createTime,
            headers: record.headers.map { header in
                ConnectHeader(
                    key: header.key,
                    schema: .optionalString,
                    value: header.value.map { .string(String(buffer: $0)) }
                )
            }
        )
    }
}
