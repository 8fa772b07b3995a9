import KafkaClient
public import KafkaConnect
import KafkaCore
import KafkaMirror
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// The task of `MirrorSourceConnector` (Java's `MirrorSourceTask`): reads its `task.assigned.partitions` from the
/// source with an unassigned consumer, each from the stored offset + 1 (`{"offset": n}` under
/// `{"cluster", "partition", "topic"}`) or from the beginning, and returns each record for the remote topic's
/// **same partition** with its key, value, headers and timestamp as bytes (run it with ByteArrayConverter). As the
/// worker reports each record written, it decides whether to emit an `OffsetSync` (the first record of a
/// partition; the target `offset.lag.max` or more past where the last sync translates to, Kafka 3.5's rule that
/// matches `OffsetSyncStore`'s translation, so a failed-over group re-reads fewer than that; a gap upstream
/// from compaction or transaction markers; the target going backwards) and sends it to
/// `mm2-offset-syncs.<target>.internal` on the source, at most 10 in flight (more are dropped, as in Kafka). Run by
/// one worker task at a time.
public final class MirrorSourceTask: SourceTask {
    public static var wantsRecordCommits: Bool { true }

    private var settings: MirrorConnectorConfig?
    private var consumer: KafkaConsumer?
    private var syncs: KafkaProducer?
    private var syncsTopic = ""
    /// The source topic of each remote topic this task writes.
    private var sourceTopics: [String: String] = [:]
    private var partitions: [TopicPartition: OffsetSyncState] = [:]
    private let syncsInFlight = SyncsInFlight()
    private var stopped = false
    /// The metrics of each remote partition this task writes, by source partition and by remote partition.
    private var metricsBySource: [TopicPartition: MirrorFigures<MirrorPartitionStats>] = [:]
    private var metricsByRemote: [TopicPartition: MirrorFigures<MirrorPartitionStats>] = [:]
    private var logger = Logger(label: "swiftkafka.mirror")

    public init() {}

    public func start(_ config: [String: String], context: any SourceTaskContext) async throws {
        let settings = try MirrorConnectorConfig(config)
        self.settings = settings
        logger[metadataKey: "flow"] = "\(settings.sourceAlias)->\(settings.targetAlias)"
        let assigned = try Self.parse(config["task.assigned.partitions"] ?? "")
        var properties = settings.sourceClient("consumer", config)
        properties["enable.auto.commit"] = "false"
        if properties["auto.offset.reset"] == nil { properties["auto.offset.reset"] = "earliest" }
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        try await consumer.assign(assigned)
        for partition in assigned {
            let remote = settings.policy.formatRemoteTopic(sourceAlias: settings.sourceAlias, topic: partition.topic)
            sourceTopics[remote] = partition.topic
            let figures = MirrorMetrics.shared.partition(
                target: settings.targetAlias,
                .init(remote, partition.partition)
            )
            metricsBySource[partition] = figures
            metricsByRemote[TopicPartition(remote, partition.partition)] = figures
            partitions[partition] = OffsetSyncState(maxOffsetLag: settings.offsetLagMax)
            if let stored = await context.offset(for: Self.sourcePartition(settings.sourceAlias, partition)),
                let offset = Self.offset(in: stored)
            {
                try await consumer.seek(partition, to: offset + 1)
            } else {
                try await consumer.seekToBeginning([partition])
            }
        }
        self.consumer = consumer
        syncsTopic = settings.policy.offsetSyncsTopic(targetAlias: settings.targetAlias)
        syncs = try KafkaProducer(properties: settings.sourceClient("producer", config), logger: logger)
        logger.info("Mirroring \(assigned.count) partition(s)")
    }

    public func poll() async throws -> [SourceRecord] {
        guard let consumer, let settings else { return [] }
        let records = try await consumer.poll(timeout: .milliseconds(500))
        measure(records)
        return records.map { record in
            SourceRecord(
                sourcePartition: Self.sourcePartition(settings.sourceAlias, record.topicPartition),
                sourceOffset: .stringMap(["offset": .int64(record.offset)]),
                topic: settings.policy.formatRemoteTopic(sourceAlias: settings.sourceAlias, topic: record.topic),
                kafkaPartition: record.partition,
                keySchema: .optionalBytes,
                key: record.key.map { .bytes(Array($0.readableBytesView)) },
                valueSchema: .optionalBytes,
                value: record.value.map { .bytes(Array($0.readableBytesView)) },
                timestamp: record.timestamp,
                headers: record.headers.map { header in
                    ConnectHeader(
                        key: header.key,
                        schema: .optionalBytes,
                        value: header.value.map { .bytes(Array($0.readableBytesView)) }
                    )
                }
            )
        }
    }

    public func commitRecord(_ record: SourceRecord, topic: String, partition: Int32, offset: Int64) async {
        if let timestamp = record.timestamp, let figures = metricsByRemote[TopicPartition(topic, partition)] {
            let latency = Double(MirrorAdmin.nowMilliseconds() - timestamp)
            figures.update { $0.replicationLatency.record(latency) }
        }
        guard !stopped, let syncs, let sourceTopic = sourceTopics[topic], let upstream = record.sourceOffset,
            let upstreamOffset = Self.offset(in: upstream)
        else { return }
        let source = TopicPartition(sourceTopic, partition)
        guard partitions[source]?.update(upstream: upstreamOffset, downstream: offset) == true else { return }
        // At most 10 syncs in flight; a sync beyond them is dropped (the next lag or gap emits another).
        guard syncsInFlight.acquire() else { return }
        let sync = OffsetSync(
            topic: sourceTopic,
            partition: partition,
            upstreamOffset: upstreamOffset,
            downstreamOffset: offset
        )
        do {
            try await syncs.send(topic: syncsTopic, key: sync.key, value: sync.value, partition: 0) {
                [syncsInFlight, logger] result in
                syncsInFlight.release()
                if case .failure(let error) = result { logger.warning("Could not send an offset sync: \(error)") }
            }
        } catch {
            syncsInFlight.release()
            logger.warning("Could not send an offset sync: \(error)")
        }
    }

    public func stop() async {
        stopped = true
        await consumer?.close()
        consumer = nil
        await syncs?.close()
        syncs = nil
    }

    /// Records each polled record's size and age, one lock per run of records of the same partition.
    private func measure(_ records: [ConsumerRecord]) {
        let now = ContinuousClock.now
        let nowMs = MirrorAdmin.nowMilliseconds()
        var start = 0
        while start < records.count {
            let partition = records[start].topicPartition
            var end = start + 1
            while end < records.count, records[end].topicPartition == partition { end += 1 }
            metricsBySource[partition]?.update { stats in
                for record in records[start..<end] {
                    let size = (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0)
                    stats.bytes.record(Double(size), now: now)
                    stats.recordAge.record(Double(nowMs - record.timestamp), now: now)
                }
            }
            start = end
        }
    }

    // MARK: Formats

    /// `{"cluster": alias, "partition": p, "topic": t}`, MirrorMaker 2's source partition.
    static func sourcePartition(_ alias: String, _ partition: TopicPartition) -> ConnectValue {
        .stringMap([
            "cluster": .string(alias), "partition": .int32(partition.partition), "topic": .string(partition.topic),
        ])
    }

    /// The `offset` of a stored `{"offset": n}`.
    static func offset(in value: ConnectValue) -> Int64? {
        guard case .map(let entries) = value else { return nil }
        for entry in entries where entry.key == .string("offset") {
            switch entry.value {
            case .int64(let offset): return offset
            case .int32(let offset): return Int64(offset)
            default: return nil
            }
        }
        return nil
    }

    /// `topic-p,topic-p` (Java's `TopicPartition.toString`; a topic name may itself contain dashes).
    static func parse(_ text: String) throws(ConnectConfigError) -> [TopicPartition] {
        try text.split(separator: ",").map { item throws(ConnectConfigError) in
            let item = item.trimmingCharacters(in: .whitespaces)
            guard let dash = item.lastIndex(of: "-"), let partition = Int32(item[item.index(after: dash)...]) else {
                throw ConnectConfigError("Invalid value \(item) for configuration task.assigned.partitions")
            }
            return TopicPartition(String(item[..<dash]), partition)
        }
    }
}

/// The offset syncs sent and not yet acknowledged: at most 10.
final class SyncsInFlight: Sendable {
    private let count = Atomic<Int>(0)

    /// Takes a place, or says there is none.
    func acquire() -> Bool {
        guard count.wrappingAdd(1, ordering: .relaxed).newValue <= 10 else {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { count.wrappingSubtract(1, ordering: .relaxed) }
}

/// When a partition's next offset sync is due (Java's `MirrorSourceTask.PartitionState` as of Kafka 3.5: a sync
/// translates a later group offset to one past itself, so a sync is due once that falls `maxOffsetLag` behind).
struct OffsetSyncState: Sendable {
    let maxOffsetLag: Int64
    var previousUpstream: Int64 = -1
    var previousDownstream: Int64 = -1
    var lastSyncUpstream: Int64 = -1
    var lastSyncDownstream: Int64 = -1

    init(maxOffsetLag: Int64) { self.maxOffsetLag = maxOffsetLag }

    /// Records that source offset `upstream` was written at target offset `downstream`; whether to sync it.
    mutating func update(upstream: Int64, downstream: Int64) -> Bool {
        let sync =
            lastSyncDownstream == -1 || downstream - (lastSyncDownstream + 1) >= maxOffsetLag
            || upstream - previousUpstream != 1 || downstream < previousDownstream
        if sync {
            lastSyncUpstream = upstream
            lastSyncDownstream = downstream
        }
        previousUpstream = upstream
        previousDownstream = downstream
        return sync
    }
}
