import KafkaClient
import KafkaConnect
import KafkaCore
import Logging
import NIOCore

/// Runs one sink task (Java's `WorkerSinkTask`): a consumer in group `connect-<connector>` (auto-commit off,
/// `auto.offset.reset=earliest`, as Connect sets them) subscribed to `topics` or `topics.regex`; each poll's
/// records are converted, transformed (a dropped record still counts as consumed) and handed to `put`; every `offset.flush.interval.ms` and on stop the task is asked to
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
    let consumerProperties: [String: String]
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
        var consumed: [TopicPartition: OffsetAndMetadata] = [:]
        var lastCommit = ContinuousClock.now

        func commit() async throws {
            try await task.flush()
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
        }

        do {
            try await task.start(config)
            if let topicsRegex {
                try await consumer.subscribe(pattern: topicsRegex)
            } else {
                try await consumer.subscribe(topics: topics)
            }
            await running()
            while !stop.isSet {
                let records = try await consumer.poll(timeout: .milliseconds(500))
                if !records.isEmpty {
                    var batch: [SinkRecord] = []
                    batch.reserveCapacity(records.count)
                    for record in records {
                        if let transformed = try transforms.apply(try convert(record)) { batch.append(transformed) }
                        consumed[record.topicPartition] = OffsetAndMetadata(
                            offset: record.offset + 1,
                            leaderEpoch: record.leaderEpoch
                        )
                    }
                    try await task.put(batch)
                }
                if ContinuousClock.now - lastCommit >= flushInterval { try await commit() }
            }
            try await commit()
            await task.stop()
            await consumer.close()
        } catch {
            await task.stop()
            await consumer.close()
            throw error
        }
    }

    func convert(_ record: ConsumerRecord) throws(ConnectDataError) -> SinkRecord {
        let key = try keyConverter.toConnectData(topic: record.topic, bytes: record.key.map { Array(buffer: $0) })
        let value = try valueConverter.toConnectData(
            topic: record.topic,
            bytes: record.value.map { Array(buffer: $0) }
        )
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
