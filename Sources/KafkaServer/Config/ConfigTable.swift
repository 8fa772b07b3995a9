import KafkaCore

/// The config table: every broker and topic config key this broker knows, once, in the sections that
/// `conf/server.properties` shows them in. A new key is one row here (and, when the broker acts on it, the property
/// that holds its typed value and default, in `BrokerConfig` or `LogConfig`). Parsing, topic overrides, the startup
/// print, DescribeConfigs and the documented `conf/server.properties` (`ConfigTable.documentedProperties`) all read
/// these rows; `ConfigTableTests` checks the file against them.
public enum ConfigTable {
    /// A titled group of keys.
    public struct Section: Sendable {
        public let title: String
        public let keys: [ConfigKey]
    }

    public static let sections: [Section] = [
        Section(title: "Server basics", keys: serverBasics),
        Section(title: "Socket server settings", keys: socketServer),
        Section(title: "Security (TLS and SASL)", keys: security),
        Section(title: "Authorizer (ACLs)", keys: authorizer),
        Section(title: "Client quotas", keys: quotas),
        Section(title: "Metrics", keys: metrics),
        Section(title: "Log basics", keys: logBasics),
        Section(title: "Internal topics", keys: internalTopics),
        Section(title: "Group coordinator", keys: groupCoordinator),
        Section(title: "Transaction coordinator", keys: transactionCoordinator),
        Section(title: "Log flush policy", keys: logFlush),
        Section(title: "Log retention and cleanup policy", keys: logRetention),
        Section(title: "Replication", keys: replication),
        Section(title: "ZooKeeper", keys: zooKeeper),
        Section(title: "Schema validation", keys: schemaValidation),
        Section(title: "Accepted for compatibility, not acted on", keys: acceptedOnly),
    ]

    /// Every row, in section order.
    public static let keys: [ConfigKey] = sections.flatMap(\.keys)

    /// Broker keys by `server.properties` name.
    public static let brokerKeys: [String: ConfigKey] = Dictionary(
        uniqueKeysWithValues: keys.compactMap { key in key.brokerName.map { ($0, key) } }
    )

    /// Topic-level keys by name.
    public static let topicKeys: [String: ConfigKey] = Dictionary(
        uniqueKeysWithValues: keys.compactMap { key in key.topicName.map { ($0, key) } }
    )

    static let serverBasics: [ConfigKey] = [
        .broker(
            "broker.id",
            \.brokerID,
            example: "0",
            "The id of this broker, unique in the cluster. Unset (-1): one is generated from ZooKeeper (/brokers/seqid, from reserved.broker.max.id + 1)."
        ),
        .broker(
            "broker.id.generation.enable",
            \.brokerIDGenerationEnable,
            "Whether a broker without broker.id gets one generated from ZooKeeper."
        ),
        .broker(
            "reserved.broker.max.id",
            \.reservedBrokerMaxID,
            .atLeast(0),
            "The largest broker.id a configuration may set; generated ids start above it."
        ),
    ]

    static let socketServer: [ConfigKey] = [
        .broker(
            "listeners",
            \.listeners,
            example: "PLAINTEXT://127.0.0.1:9092",
            "Where the broker listens: LISTENER_NAME://host:port, comma-separated. An empty host listens on every interface."
        ),
        .broker(
            "advertised.listeners",
            \.advertisedListeners,
            "What clients are told to connect to, per listener (default: listeners)."
        ),
        .broker(
            "broker.rack",
            \.brokerRack,
            "The broker's rack (KIP-36): replicas of a partition are spread over racks, and consumers with client.rack may read from a replica in their rack."
        ),
        .broker(
            "replica.selector.class",
            \.replicaSelectorClass,
            "How a leader picks the replica a consumer reads from (KIP-392): unset, the leader; org.apache.kafka.common.replica.RackAwareReplicaSelector, a replica in the consumer's client.rack."
        ),
        .broker(
            "listener.security.protocol.map",
            \.listenerSecurityProtocolMap,
            "The security protocol of each listener name."
        ),
        .broker(
            "inter.broker.listener.name",
            \.interBrokerListenerName,
            "The listener brokers use to reach each other (default: the first listener)."
        ),
        .broker(
            "socket.request.max.bytes",
            \.socketRequestMaxBytes,
            .atLeast(1),
            "The largest request accepted; a larger one closes the connection."
        ),
        .broker(
            "connections.max.idle.ms",
            \.connectionsMaxIdleMs,
            .atLeast(1),
            "A client connection with no bytes read or written for this long is closed."
        ),
        .broker(
            "request.timeout.ms",
            \.requestTimeoutMs,
            .atLeast(0),
            "How long the broker waits for its own requests' outcome (transaction markers' replication)."
        ),
    ]

    static let metrics: [ConfigKey] = [
        .broker(
            "metrics.port",
            \.metricsPort,
            .atLeast(-1),
            "Where Prometheus scrapes /metrics (text format, the names Kafka's JMX exporter gives: kafka_server_..., kafka_network_..., kafka_controller_...); /health answers ok. -1 serves no endpoint; 0 picks a free port (logged at startup)."
        ),
        .broker("metrics.host", \.metricsHost, "The address /metrics binds; empty: every interface."),
    ]

    static let logBasics: [ConfigKey] = [
        .broker(
            "log.dirs",
            \.logDirs,
            example: "/tmp/swiftkafka-logs",
            "Directories for partition logs, comma-separated."
        ),
        .broker(
            "num.partitions",
            \.numPartitions,
            .atLeast(1),
            "Partitions of an automatically created topic, or of one created without a count."
        ),
        .broker(
            "default.replication.factor",
            \.defaultReplicationFactor,
            .atLeast(1),
            "Replication factor of an automatically created topic, or of one created without one."
        ),
        .broker(
            "auto.create.topics.enable",
            \.autoCreateTopicsEnable,
            "Whether Metadata for an unknown topic creates it."
        ),
        .broker("delete.topic.enable", \.deleteTopicEnable, "Whether DeleteTopics deletes (else it is refused)."),
        .log(
            "message.max.bytes",
            topic: "max.message.bytes",
            \.maxMessageBytes,
            .atLeast(0),
            "The largest record batch accepted (MESSAGE_TOO_LARGE above it)."
        ),
        .log(
            "log.segment.bytes",
            topic: "segment.bytes",
            \.segmentBytes,
            .atLeast(14),
            "Roll to a new segment when the active one would pass this size."
        ),
        .log(
            "log.index.interval.bytes",
            topic: "index.interval.bytes",
            \.indexIntervalBytes,
            .atLeast(0),
            "Bytes of records between two offset index entries."
        ),
        .log(
            "log.index.size.max.bytes",
            topic: "segment.index.bytes",
            \.segmentIndexBytes,
            .atLeast(4),
            "The preallocated size of each segment's offset and time index."
        ),
        .log(
            "log.segment.delete.delay.ms",
            topic: "file.delete.delay.ms",
            \.fileDeleteDelayMs,
            .atLeast(0),
            "How long a deleted segment lingers as a .deleted file."
        ),
        .log(
            "log.message.timestamp.type",
            topic: "message.timestamp.type",
            \.timestampType,
            "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock."
        ),
        .broker(
            "log.roll.hours",
            \.logRollHours,
            .atLeast(1),
            "Roll when the active segment's first record is this old (log.roll.ms wins when set)."
        ),
        .broker("log.roll.ms", \.logRollMs, "log.roll.hours in milliseconds; wins over it when set."),
        .log(
            nil,
            topic: "segment.ms",
            \.segmentMs,
            .atLeast(1),
            "Roll when the active segment's first record is this old (broker: log.roll.ms, log.roll.hours)."
        ),
    ]

    static let internalTopics: [ConfigKey] = [
        .broker(
            "offsets.topic.num.partitions",
            \.offsetsTopicNumPartitions,
            .atLeast(1),
            "Partitions of __consumer_offsets (fixed once it exists)."
        ),
        .broker(
            "offsets.topic.replication.factor",
            \.offsetsTopicReplicationFactor,
            .atLeast(1),
            example: "1",
            "Replication factor of __consumer_offsets; its creation waits until this many brokers are alive (1 for a single development broker)."
        ),
        .broker(
            "offsets.storage",
            \.offsetsStorage,
            .oneOf(["kafka", "zookeeper"]),
            "Where committed consumer offsets go: kafka (the __consumer_offsets topic) or zookeeper (/consumers/...)."
        ),
        .broker(
            "offsets.retention.minutes",
            \.offsetsRetentionMinutes,
            .atLeast(1),
            "Committed offsets of a group without members expire after this long (7 days)."
        ),
        .broker(
            "offsets.retention.check.interval.ms",
            \.offsetsRetentionCheckIntervalMs,
            .atLeast(1),
            "How often expired offsets are looked for."
        ),
        .broker(
            "offsets.commit.timeout.ms",
            \.offsetsCommitTimeoutMs,
            .atLeast(1),
            "How long an offset commit waits for its replicas before it fails."
        ),
        .broker(
            "offset.metadata.max.bytes",
            \.offsetMetadataMaxBytes,
            .atLeast(0),
            "The longest metadata string a commit may carry (OFFSET_METADATA_TOO_LARGE above it)."
        ),
    ]

    static let groupCoordinator: [ConfigKey] = [
        .broker(
            "group.initial.rebalance.delay.ms",
            \.groupInitialRebalanceDelayMs,
            .atLeast(0),
            "How long the first member of a new group waits for others before the first rebalance completes (Kafka's sample file sets 0 for development)."
        ),
        .broker(
            "group.min.session.timeout.ms",
            \.groupMinSessionTimeoutMs,
            "The shortest session timeout a member may ask for."
        ),
        .broker(
            "group.max.session.timeout.ms",
            \.groupMaxSessionTimeoutMs,
            "The longest session timeout a member may ask for."
        ),
        .broker(
            "group.max.size",
            \.groupMaxSize,
            .atLeast(1),
            "The most members one group may have (GROUP_MAX_SIZE_REACHED above it)."
        ),
    ]

    static let logFlush: [ConfigKey] = [
        .log(
            "log.flush.interval.messages",
            topic: "flush.messages",
            \.flushMessages,
            .atLeast(1),
            "Force an fsync after this many messages. By default the broker never forces one: durability comes from replication and the page cache, as in Kafka."
        ),
        .log(
            "log.flush.interval.ms",
            topic: "flush.ms",
            \.flushMs,
            .atLeast(0),
            "Force an fsync when the last one is this old."
        ),
        .broker(
            "log.flush.scheduler.interval.ms",
            \.logFlushSchedulerIntervalMs,
            "How often logs are checked for a due flush."
        ),
        .broker(
            "log.flush.offset.checkpoint.interval.ms",
            \.logFlushOffsetCheckpointIntervalMs,
            .atLeast(0),
            "How often recovery points are written to recovery-point-offset-checkpoint."
        ),
    ]

    static let logRetention: [ConfigKey] = [
        .broker(
            "log.retention.hours",
            \.logRetentionHours,
            "Delete segments older than this (log.retention.minutes, then log.retention.ms, win when set)."
        ),
        .broker("log.retention.minutes", \.logRetentionMinutes, "log.retention.hours in minutes."),
        .broker("log.retention.ms", \.logRetentionMs, "log.retention.hours in milliseconds; -1 keeps everything."),
        .log(
            nil,
            topic: "retention.ms",
            \.retentionMs,
            .atLeast(-1),
            "Delete segments older than this; -1 keeps everything (broker: log.retention.ms, minutes, hours)."
        ),
        .log(
            "log.retention.bytes",
            topic: "retention.bytes",
            \.retentionBytes,
            "Delete the oldest segments while a partition is larger than this; -1 sets no limit."
        ),
        .broker(
            "log.retention.check.interval.ms",
            \.logRetentionCheckIntervalMs,
            .atLeast(1),
            "How often segments are checked for deletion."
        ),
        .log(
            "log.cleanup.policy",
            topic: "cleanup.policy",
            \.cleanupPolicy,
            "delete (by age and size), compact (keep the last record of each key) or compact,delete."
        ),
        .broker("log.cleaner.enable", \.logCleanerEnable, "Whether the log cleaner compacts compacted topics."),
        .log(
            "log.cleaner.delete.retention.ms",
            topic: "delete.retention.ms",
            \.deleteRetentionMs,
            .atLeast(0),
            "How long a tombstone stays in a compacted log."
        ),
        .log(
            "log.cleaner.min.compaction.lag.ms",
            topic: "min.compaction.lag.ms",
            \.minCompactionLagMs,
            .atLeast(0),
            "Records younger than this are never compacted."
        ),
        .log(
            "log.message.timestamp.difference.max.ms",
            topic: "message.timestamp.difference.max.ms",
            \.messageTimestampDifferenceMaxMs,
            .atLeast(0),
            "The largest gap allowed between a CreateTime record timestamp and the broker's clock; a batch with a record further off is refused with INVALID_TIMESTAMP."
        ),
        .log(
            "log.cleaner.max.compaction.lag.ms",
            topic: "max.compaction.lag.ms",
            \.maxCompactionLagMs,
            .atLeast(1),
            "The longest a record may stay uncompacted: past it the log is cleaned whatever its dirty ratio, and the active segment of a compacted log rolls by then."
        ),
        .broker(
            "log.cleaner.backoff.ms",
            \.logCleanerBackoffMs,
            .atLeast(0),
            "How long the cleaner sleeps when no compacted log needs cleaning."
        ),
        .log(
            "log.cleaner.min.cleanable.ratio",
            topic: "min.cleanable.dirty.ratio",
            \.minCleanableDirtyRatio,
            .between(0, 1),
            "Compact a log when this share of it is not yet compacted."
        ),
    ]

    static let zooKeeper: [ConfigKey] = [
        .broker(
            "zookeeper.connect",
            \.zookeeperConnect,
            example: "127.0.0.1:2181",
            "host:port[,host:port...][/chroot]; the chroot is created when missing. Required."
        ),
        .broker(
            "zookeeper.session.timeout.ms",
            \.zookeeperSessionTimeoutMs,
            "The ZooKeeper session timeout; a broker whose session expires is considered dead."
        ),
        .broker(
            "zookeeper.connection.timeout.ms",
            \.zookeeperConnectionTimeoutMs,
            "How long to wait for a ZooKeeper connection (default: zookeeper.session.timeout.ms)."
        ),
        .broker(
            "zookeeper.set.acl",
            \.zookeeperSetAcl,
            "Whether the znodes the broker creates get ACLs: the broker's identity may do anything, others may only read (nothing under /config/users and /config/brokers). Needs the JAAS Client section named by KAFKA_OPTS=-Djava.security.auth.login.config=<file>, whose username and password authenticate with ZooKeeper's digest scheme."
        ),
    ]
}
