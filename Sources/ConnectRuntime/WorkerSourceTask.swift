import KafkaClient
import KafkaConnect
import Logging
import Synchronization

/// Runs one source task (Java's `WorkerSourceTask`): `poll`, transform, convert each record's key, value and headers,
/// send it (the producer as Connect configures it: acks=all, one request in flight, no delivery timeout), and
/// every `offset.flush.interval.ms` and on stop commit offsets: wait until everything sent so far is
/// acknowledged, then store the latest source offset of each source partition, then tell the task (`commit`).
/// An offset is stored only after its record and every record before it were written, so a restarted task
/// repeats at most what was sent since the last commit and never skips. A send that fails, or a record that
/// cannot be converted, fails the task (`errors.tolerance=none`). Lifecycle: made by the herder, `run` in its
/// own Swift task until its stop flag is set (pause, delete, restart, worker stop) or it fails. It is stopped by
/// the flag, not by cancellation, so the last commit's requests are not cancelled with it.
struct WorkerSourceTask: Sendable {
    let id: ConnectorTaskID
    let taskType: any SourceTask.Type
    let config: [String: String]
    let transforms: TransformationChain
    let errors: ErrorPolicy
    let keyConverter: any Converter
    let valueConverter: any Converter
    /// The worker's `header.converter` is ByteArrayConverter: bytes header values are written as they are.
    let rawHeaders: Bool
    let producerProperties: [String: String]
    let counters: TaskCounters
    let offsets: any OffsetBackingStore
    let flushInterval: Duration
    let logger: Logger

    func run(until stop: StopFlag, running: @Sendable () async -> Void) async throws {
        var properties = producerProperties
        properties["acks"] = "all"
        properties["max.in.flight.requests.per.connection"] = "1"
        properties["delivery.timeout.ms"] = String(Int32.max)
        properties["client.id"] = properties["client.id"] ?? "connector-producer-\(id.connector)-\(id.task)"
        let producer = try KafkaProducer(properties: properties, logger: logger)
        let context = SourceOffsets(connector: id.connector, store: offsets)
        let task = taskType.init()
        let failure = Mutex<ProducerError?>(nil)
        let wantsRecordCommits = taskType.wantsRecordCommits
        // Records acknowledged since the task was last told (`commitRecord`), in acknowledgement order.
        let acknowledged = Mutex<[(record: SourceRecord, topic: String, partition: Int32, offset: Int64)]>([])
        func tellAcknowledged() async {
            guard wantsRecordCommits else { return }
            let records = acknowledged.withLock { records in
                defer { records.removeAll(keepingCapacity: true) }
                return records
            }
            for entry in records {
                await task.commitRecord(
                    entry.record,
                    topic: entry.topic,
                    partition: entry.partition,
                    offset: entry.offset
                )
            }
        }
        var pending: [String: String?] = [:]
        var lastCommit = ContinuousClock.now
        var stopped = false
        // The offsets key of the last source partition seen (a task mostly reads one partition at a time).
        var lastPartition: (partition: ConnectValue, key: String?)?

        func commit() async throws {
            let started = ContinuousClock.now
            await producer.flush()
            if let error = failure.withLock({ $0 }) {
                throw ConnectDataError("Unrecoverable exception from producer send callback: \(error)")
            }
            await tellAcknowledged()
            try await offsets.store(pending)
            pending.removeAll()
            lastCommit = .now
            counters.committed(after: lastCommit - started)
            try await task.commit()
        }

        do {
            try await task.start(config, context: context)
            await running()
            while !stop.isSet {
                await tellAcknowledged()
                let records = try await task.poll()
                counters.add(.recordsIn, records.count)
                for polled in records {
                    // A record the transforms drop is not written, but its source offset is committed.
                    if let partition = polled.sourcePartition {
                        if lastPartition?.partition != partition {
                            lastPartition = (
                                partition, SourceOffsets.key(connector: id.connector, partition: partition)
                            )
                        }
                        if let offsetKey = lastPartition?.key {
                            pending[offsetKey] = SourceOffsets.text(polled.sourceOffset)
                        }
                    }
                    let converted: (record: SourceRecord, key: [UInt8]?, value: [UInt8]?)
                    do {
                        guard let record = try transforms.apply(polled) else { continue }
                        let key = try await errors.retrying { () throws(ConnectDataError) in
                            try await keyConverter.fromConnectData(
                                topic: record.topic,
                                schema: record.keySchema,
                                value: record.key
                            )
                        }
                        let value = try await errors.retrying { () throws(ConnectDataError) in
                            try await valueConverter.fromConnectData(
                                topic: record.topic,
                                schema: record.valueSchema,
                                value: record.value
                            )
                        }
                        converted = (record, key, value)
                    } catch {
                        counters.add(.recordErrors)
                        guard errors.tolerateAll else {
                            throw ConnectDataError("Tolerance exceeded in error handler: \(error)")
                        }
                        counters.add(.recordsSkipped)
                        if errors.log { logger.error("Error encountered in task \(id), record skipped: \(error)") }
                        continue
                    }
                    let (record, key, value) = converted
                    let headers = record.headers.map { header in
                        (
                            key: header.key,
                            value: header.value.map { value in
                                if rawHeaders, case .bytes(let bytes) = value { return bytes }
                                return Array(StringConverter.text(of: value).utf8)
                            }
                        )
                    }
                    try await producer.send(
                        topic: record.topic,
                        key: key,
                        value: value,
                        headers: headers,
                        partition: record.kafkaPartition,
                        timestamp: record.timestamp
                    ) { [counters] result in
                        switch result {
                        case .success(let metadata):
                            counters.add(.recordsOut)
                            if wantsRecordCommits {
                                acknowledged.withLock {
                                    $0.append((record, metadata.topic, metadata.partition, metadata.offset))
                                }
                            }
                        case .failure(let error): failure.withLock { $0 = $0 ?? error }
                        }
                    }
                }
                if let error = failure.withLock({ $0 }) {
                    throw ConnectDataError("Unrecoverable exception from producer send callback: \(error)")
                }
                if ContinuousClock.now - lastCommit >= flushInterval { try await commit() }
            }
            stopped = true
            await task.stop()
            try await commit()
            await producer.close()
        } catch {
            if !stopped { await task.stop() }
            await producer.close()
            throw error
        }
    }
}

/// Set once to ask a worker task to stop after its current poll; read by that task.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

/// A task of a connector: the connector's name and the task's number (`task-<connector>-<n>`).
public struct ConnectorTaskID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var connector: String
    public var task: Int

    public init(_ connector: String, _ task: Int) {
        self.connector = connector
        self.task = task
    }

    public static func < (a: ConnectorTaskID, b: ConnectorTaskID) -> Bool {
        (a.connector, a.task) < (b.connector, b.task)
    }

    public var description: String { "\(connector)-\(task)" }
}
