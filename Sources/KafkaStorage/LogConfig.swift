/// A log's settings: Kafka's topic-level configs (with the broker's `log.*` values as defaults), by their Kafka
/// names and with Kafka 2.8's defaults.
public struct LogConfig: Sendable, Equatable {
    public enum CleanupPolicy: String, Sendable {
        case delete
        case compact
        case compactAndDelete = "compact,delete"
    }

    public enum TimestampType: String, Sendable {
        case createTime = "CreateTime"
        case logAppendTime = "LogAppendTime"
    }

    /// `segment.bytes` (broker: `log.segment.bytes`): roll when the active segment would pass this size.
    public var segmentBytes = 1 << 30
    /// `segment.ms` (broker: `log.roll.ms`/`log.roll.hours`, 7 days): roll when the segment's first timestamp is
    /// this old.
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `segment.index.bytes` (broker: `log.index.size.max.bytes`): the preallocated size of each index file.
    public var segmentIndexBytes = 10 * 1024 * 1024
    /// `index.interval.bytes` (broker: `log.index.interval.bytes`): bytes between index entries.
    public var indexIntervalBytes = 4096
    /// `retention.ms` (broker: `log.retention.ms`/`hours`, 7 days); -1 keeps everything.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes` (broker: `log.retention.bytes`); -1 sets no limit.
    public var retentionBytes: Int64 = -1
    /// `cleanup.policy` (broker: `log.cleanup.policy`).
    public var cleanupPolicy = CleanupPolicy.delete
    /// `delete.retention.ms` (broker: `log.cleaner.delete.retention.ms`, 1 day): how long tombstones stay.
    public var deleteRetentionMs: Int64 = 24 * 3_600_000
    /// `min.compaction.lag.ms`: records younger than this are never compacted.
    public var minCompactionLagMs: Int64 = 0
    /// `max.compaction.lag.ms` (broker: `log.cleaner.max.compaction.lag.ms`): a record older than this is compacted
    /// whatever the dirty ratio, and a compacted log's active segment rolls by then (KIP-354).
    public var maxCompactionLagMs = Int64.max
    /// `min.cleanable.dirty.ratio` (broker: `log.cleaner.min.cleanable.ratio`).
    public var minCleanableDirtyRatio = 0.5
    /// `flush.messages` (broker: `log.flush.interval.messages`): fsync after this many messages; Long.MAX (never).
    public var flushMessages = Int64.max
    /// `flush.ms` (broker: `log.flush.interval.ms`): fsync when the last flush is this old; Long.MAX (never).
    public var flushMs = Int64.max
    /// `max.message.bytes` (broker: `message.max.bytes`): the largest batch accepted.
    public var maxMessageBytes = 1_048_588
    /// `mirror.link` (not Kafka's): the cluster link (`cluster.link.<name>.*` of the brokers) this topic mirrors,
    /// byte for byte and offset for offset; empty for an ordinary topic. A mirror topic is read-only, and its
    /// leader's epoch cache holds the source's epochs (those of its batches), not this cluster's.
    public var mirrorLink = ""
    /// `message.timestamp.type` (broker: `log.message.timestamp.type`).
    public var timestampType = TimestampType.createTime
    /// `message.timestamp.difference.max.ms` (broker: `log.message.timestamp.difference.max.ms`): the largest gap
    /// between a CreateTime record timestamp and the broker's clock; Long.MAX (no check).
    public var messageTimestampDifferenceMaxMs = Int64.max
    /// `file.delete.delay.ms` (broker: `log.segment.delete.delay.ms`): how long deleted segments linger as
    /// `.deleted` files.
    public var fileDeleteDelayMs: Int64 = 60_000
    /// `unclean.leader.election.enable`.
    public var uncleanLeaderElectionEnable = false
    /// `min.insync.replicas`.
    public var minInSyncReplicas = 1
    /// `confluent.key.schema.validation` / `confluent.value.schema.validation` (Confluent Server's topic configs):
    /// the broker checks each record's key or value for a schema id registered in the schema registry.
    public var keySchemaValidation = false
    public var valueSchemaValidation = false
    /// `confluent.key.subject.name.strategy` / `confluent.value.subject.name.strategy`: the subject an id must be
    /// registered under (TopicNameStrategy: `<topic>-key` / `<topic>-value`; the other strategies: any subject).
    public var keySubjectNameStrategy = LogConfig.topicNameStrategy
    public var valueSubjectNameStrategy = LogConfig.topicNameStrategy
    public static let topicNameStrategy = "io.confluent.kafka.serializers.subject.TopicNameStrategy"

    public init() {}

    public var compact: Bool { cleanupPolicy != .delete }
    /// How old the active segment may get before it rolls: `segment.ms`, or `max.compaction.lag.ms` when a compacted
    /// log's is smaller (Kafka's `LogConfig.maxSegmentMs`).
    public var maxSegmentMs: Int64 {
        compact && maxCompactionLagMs > 0 ? min(maxCompactionLagMs, segmentMs) : segmentMs
    }
    public var delete: Bool { cleanupPolicy != .compact }
}
