import CoreMetrics
import KafkaCore
import Prometheus
import Synchronization

/// One series per partition this broker holds, named as Prometheus' JMX exporter names Kafka's per-partition
/// MBeans: `kafka_log_log_{size,logstartoffset,logendoffset,numlogsegments}{topic,partition}` (Log) and
/// `kafka_cluster_partition_{underreplicated,insyncreplicascount,replicascount,underminisr,atminisr}{topic,partition}`
/// (Partition; 0 where this broker does not lead, as in Kafka) and `kafka_cluster_partition_laststableoffsetlag`
/// (the high watermark minus the last stable offset: how far open transactions hold read_committed consumers back,
/// on every replica, as Kafka's gauge). A partition's series go when the broker no longer
/// holds it (moved, deleted).
///
/// Lifecycle: one per `BrokerMetrics`; `publish(_:)` runs at each scrape, under the table's lock (scrapes may
/// overlap).
final class PartitionGauges: Sendable {
    /// What one partition shows.
    struct State: Sendable {
        var topicPartition: TopicPartition
        var size: Int64
        var logStartOffset: Int64
        var logEndOffset: Int64
        var segments: Int
        var isLeader = false
        var inSyncReplicas = 0
        var replicas = 0
        var minInSyncReplicas = 1
        var lastStableOffsetLag: Int64 = 0

        /// Kafka's conditions, true only on the leader (the ReplicaManager counts add them up).
        var isUnderReplicated: Bool { isLeader && inSyncReplicas < replicas }
        var isUnderMinIsr: Bool { isLeader && inSyncReplicas < minInSyncReplicas }
        var isAtMinIsr: Bool { isLeader && inSyncReplicas == minInSyncReplicas }

        /// In the order of `names`.
        var values: [Int64] {
            [
                size, logStartOffset, logEndOffset, Int64(segments), isUnderReplicated ? 1 : 0,
                isLeader ? Int64(inSyncReplicas) : 0, isLeader ? Int64(replicas) : 0, isUnderMinIsr ? 1 : 0,
                isAtMinIsr ? 1 : 0, lastStableOffsetLag,
            ]
        }
    }

    static let names = [
        "kafka_log_log_size", "kafka_log_log_logstartoffset", "kafka_log_log_logendoffset",
        "kafka_log_log_numlogsegments", "kafka_cluster_partition_underreplicated",
        "kafka_cluster_partition_insyncreplicascount", "kafka_cluster_partition_replicascount",
        "kafka_cluster_partition_underminisr", "kafka_cluster_partition_atminisr",
        "kafka_cluster_partition_laststableoffsetlag",
    ]

    private let factory: PrometheusMetricsFactory
    private let table = Mutex<[TopicPartition: [CoreMetrics.Gauge]]>([:])

    init(factory: PrometheusMetricsFactory) {
        self.factory = factory
    }

    /// Sets every held partition's gauges, making those of new partitions and unregistering those of partitions
    /// no longer held.
    func publish(_ states: [State]) {
        table.withLock { table in
            var held: Set<TopicPartition> = []
            for state in states {
                held.insert(state.topicPartition)
                let gauges = table[state.topicPartition] ?? make(state.topicPartition)
                table[state.topicPartition] = gauges
                for (gauge, value) in zip(gauges, state.values) { gauge.record(value) }
            }
            for (topicPartition, gauges) in table where !held.contains(topicPartition) {
                for gauge in gauges { gauge.destroy() }
                table[topicPartition] = nil
            }
        }
    }

    private func make(_ topicPartition: TopicPartition) -> [CoreMetrics.Gauge] {
        let dimensions = [("topic", topicPartition.topic), ("partition", "\(topicPartition.partition)")]
        return Self.names.map { CoreMetrics.Gauge(label: $0, dimensions: dimensions, factory: factory) }
    }
}
