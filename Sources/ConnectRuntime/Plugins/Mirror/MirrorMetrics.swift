import KafkaCore
import Synchronization

/// MirrorMaker 2's metrics (Kafka 2.8's `MirrorMetrics`), in Prometheus text under the names Strimzi's JMX-exporter
/// rules give them:
/// - `kafka_connect_mirror_source_connector_<attribute>{target, topic, partition}` (the remote topic) with
///   `record_count` and `byte_count` (totals), `record_rate` and `byte_rate` (per second over the window),
///   `record_age_ms` (now − the record's timestamp when polled from the source) and `replication_latency_ms` (now
///   − its timestamp when the target acknowledged it), each also `_min`, `_max`, `_avg` over the window;
/// - `kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms{source, target, group, topic, partition}`
///   (now − a checkpoint's creation when the target acknowledged it) and its `_min`, `_max`, `_avg`.
/// The window is Kafka's default: two samples of 30 s. Heartbeats are mirrored like any topic, so
/// `replication_latency_ms{topic="A.heartbeats"}` is the flow's latency measured from heartbeats.
///
/// Process-wide (`shared`), so counts go on across a task's restarts: a task asks for the figures of each
/// partition or group it works on (`partition`, `checkpoint`; one lock over the maps, taken once per partition
/// per task start) and records into them (each its own lock, taken once per polled batch or acknowledged
/// record); `/metrics` of swiftkafka-connect and of swiftkafka-mirror render them all.
public final class MirrorMetrics: Sendable {
    public static let shared = MirrorMetrics()

    struct PartitionKey: Hashable, Sendable {
        var target: String
        var partition: TopicPartition
    }

    struct CheckpointKey: Hashable, Sendable {
        var source: String
        var target: String
        var group: String
        var partition: TopicPartition
    }

    private let partitions = Mutex<[PartitionKey: MirrorFigures<MirrorPartitionStats>]>([:])
    private let checkpoints = Mutex<[CheckpointKey: MirrorFigures<WindowedStat>]>([:])

    /// The figures of remote partition `partition` written to cluster `target`.
    func partition(target: String, _ partition: TopicPartition) -> MirrorFigures<MirrorPartitionStats> {
        let key = PartitionKey(target: target, partition: partition)
        return partitions.withLock { figures in
            if let known = figures[key] { return known }
            let made = MirrorFigures(MirrorPartitionStats())
            figures[key] = made
            return made
        }
    }

    /// The checkpoint latencies of `group` on remote partition `partition`.
    func checkpoint(_ key: CheckpointKey) -> MirrorFigures<WindowedStat> {
        checkpoints.withLock { figures in
            if let known = figures[key] { return known }
            let made = MirrorFigures(WindowedStat())
            figures[key] = made
            return made
        }
    }

    /// The metrics as Prometheus text; empty when no mirror task runs.
    public func text(now: ContinuousClock.Instant = .now) -> String {
        let partitions = self.partitions.withLock { $0 }.map { key, figures in
            (
                labels: "target=\"\(escape(key.target))\",topic=\"\(escape(key.partition.topic))\","
                    + "partition=\"\(key.partition.partition)\"",
                stats: figures.value
            )
        }.sorted { $0.labels < $1.labels }
        let checkpoints = self.checkpoints.withLock { $0 }.map { key, figures in
            (
                labels: "source=\"\(escape(key.source))\",target=\"\(escape(key.target))\","
                    + "group=\"\(escape(key.group))\",topic=\"\(escape(key.partition.topic))\","
                    + "partition=\"\(key.partition.partition)\"",
                stats: figures.value
            )
        }.sorted { $0.labels < $1.labels }
        var out = ""
        let source = "kafka_connect_mirror_source_connector_"
        func family(_ name: String, _ type: String, _ help: String, _ values: [(String, Double)]) {
            guard !values.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in values { out += "\(name){\(labels)} \(format(value))\n" }
        }
        family(
            source + "record_count",
            "counter",
            "Number of replicated records.",
            partitions.map { ($0.labels, Double($0.stats.bytes.totalCount)) }
        )
        family(
            source + "byte_count",
            "counter",
            "Number of replicated bytes.",
            partitions.map { ($0.labels, $0.stats.bytes.total) }
        )
        family(
            source + "record_rate",
            "gauge",
            "Average number of replicated records per second.",
            partitions.map { ($0.labels, $0.stats.bytes.countRate(now: now)) }
        )
        family(
            source + "byte_rate",
            "gauge",
            "Average number of replicated bytes per second.",
            partitions.map { ($0.labels, $0.stats.bytes.sumRate(now: now)) }
        )
        func windowed(_ prefix: String, _ help: String, _ values: [(String, WindowedStat)]) {
            family(prefix, "gauge", help, values.map { ($0.0, $0.1.last) })
            family(prefix + "_min", "gauge", "Min of \(help.lowercased())", values.map { ($0.0, $0.1.min(now: now)) })
            family(prefix + "_max", "gauge", "Max of \(help.lowercased())", values.map { ($0.0, $0.1.max(now: now)) })
            family(prefix + "_avg", "gauge", "Avg of \(help.lowercased())", values.map { ($0.0, $0.1.avg(now: now)) })
        }
        windowed(
            source + "record_age_ms",
            "The age of incoming source records in ms.",
            partitions.map { ($0.labels, $0.stats.recordAge) }
        )
        windowed(
            source + "replication_latency_ms",
            "Time it takes records to replicate from source to target in ms.",
            partitions.map { ($0.labels, $0.stats.replicationLatency) }
        )
        windowed(
            "kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms",
            "Time it takes consumer group offsets to replicate from source to target in ms.",
            checkpoints
        )
        return out
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// One partition's or group's figures, recorded by the task that works on it and read by `MirrorMetrics.text`.
final class MirrorFigures<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    init(_ value: Value) { state = Mutex(value) }

    func update(_ body: (inout Value) -> Void) { state.withLock { body(&$0) } }

    var value: Value { state.withLock { $0 } }
}

/// A remote partition's figures: bytes (one sample per record, so its count is the record count), record ages
/// and replication latencies.
struct MirrorPartitionStats: Sendable {
    var bytes = WindowedStat()
    var recordAge = WindowedStat()
    var replicationLatency = WindowedStat()
}
