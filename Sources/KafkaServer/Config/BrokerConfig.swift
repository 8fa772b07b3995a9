public import KafkaStorage

/// The broker's configuration: `server.properties` with Kafka 2.8's key names and defaults, plus `--override`s.
///
/// An unknown key is a warning (Kafka logs "was supplied but isn't a known config"); a value that does not parse
/// stops startup with an error that names the key.
public struct BrokerConfig: Sendable {
    public var brokerID: Int32 = -1
    public var brokerIDGenerationEnable = true
    public var reservedBrokerMaxID: Int32 = 1000
    public var listeners = "PLAINTEXT://:9092"
    public var advertisedListeners: String?
    public var listenerSecurityProtocolMap =
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
    public var interBrokerListenerName: String?
    public var logDirs = ["/tmp/kafka-logs"]
    public var zookeeperConnect = ""
    public var zookeeperSessionTimeoutMs: Int64 = 18_000
    public var zookeeperConnectionTimeoutMs: Int64?
    public var numPartitions: Int32 = 1
    public var defaultReplicationFactor: Int16 = 1
    public var autoCreateTopicsEnable = true
    public var deleteTopicEnable = true
    public var messageMaxBytes = 1_048_588
    public var socketRequestMaxBytes = 104_857_600
    public var logRetentionCheckIntervalMs: Int64 = 300_000
    public var logFlushSchedulerIntervalMs = Int64.max
    public var logFlushOffsetCheckpointIntervalMs: Int64 = 60_000
    public var logCleanerEnable = true
    public var minInSyncReplicas = 1
    public var uncleanLeaderElectionEnable = false
    public var replicaLagTimeMaxMs: Int64 = 30_000
    public var replicaFetchWaitMaxMs: Int32 = 500
    public var replicaFetchMinBytes: Int32 = 1
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    public var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    public var replicaFetchBackoffMs: Int64 = 1000
    public var offsetsCommitTimeoutMs: Int64 = 5000
    public var controlledShutdownMaxRetries: Int32 = 3
    public var autoLeaderRebalanceEnable = true
    public var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    public var leaderImbalancePerBrokerPercentage = 10
    public var controlledShutdownRetryBackoffMs: Int64 = 5000
    public var offsetsTopicNumPartitions: Int32 = 50
    public var offsetsTopicReplicationFactor: Int16 = 3
    public var offsetsRetentionMinutes: Int64 = 10_080
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offsets.storage`: where committed offsets go, `kafka` (the `__consumer_offsets` topic) or `zookeeper`.
    public var offsetsStorage = "kafka"
    public var groupInitialRebalanceDelayMs: Int64 = 3000
    public var groupMinSessionTimeoutMs: Int32 = 6000
    public var groupMaxSessionTimeoutMs: Int32 = 1_800_000
    public var offsetMetadataMaxBytes = 4096
    public var groupMaxSize = Int(Int32.max)
    public var controlledShutdownEnable = true
    /// `metrics.port`: where `/metrics` (Prometheus text) is served; -1 (the default) serves none, 0 picks a port.
    public var metricsPort: Int32 = -1
    /// `metrics.host`: the address `/metrics` binds; empty means every interface.
    public var metricsHost = ""
    /// The topic defaults (`log.*`), as a LogConfig.
    public var logConfig = LogConfig()

    public init() {}

    public var zookeeperConnectionTimeout: Int64 { zookeeperConnectionTimeoutMs ?? zookeeperSessionTimeoutMs }

    /// Why the configuration cannot be used.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "Invalid value for configuration \(key): \(reason)" }
    }

    /// Parses `server.properties` text and overrides (applied after, as `--override` does). Returns the config and
    /// a warning per unknown key.
    public static func parse(
        properties text: String,
        overrides: [(String, String)] = []
    ) throws(Error)
        -> (config: BrokerConfig, warnings: [String])
    {
        var values: [String: String] = [:]
        for (key, value) in JavaProperties.parse(text) { values[key] = value }
        for (key, value) in overrides { values[key] = value }
        var config = BrokerConfig()
        var warnings: [String] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let setter = setters[key] else {
                if !ignoredKeys.contains(key) && !key.hasPrefix("listener.name.") && !key.hasPrefix("ssl.")
                    && !key.hasPrefix("sasl.")
                {
                    warnings.append("The configuration '\(key)' was supplied but isn't a known config.")
                }
                continue
            }
            try setter(&config, value.trimmingCharacters())
        }
        // Kafka's precedence: log.retention.ms > minutes > hours; log.roll.ms > hours.
        if let ms = values["log.retention.ms"] {
            config.logConfig.retentionMs = try parseLong("log.retention.ms", ms)
        } else if let minutes = values["log.retention.minutes"] {
            config.logConfig.retentionMs = try parseLong("log.retention.minutes", minutes) * 60_000
        } else if let hours = values["log.retention.hours"] {
            config.logConfig.retentionMs = try parseLong("log.retention.hours", hours) * 3_600_000
        }
        if let ms = values["log.roll.ms"] {
            config.logConfig.segmentMs = try parseLong("log.roll.ms", ms)
        } else if let hours = values["log.roll.hours"] {
            config.logConfig.segmentMs = try parseLong("log.roll.hours", hours) * 3_600_000
        }
        config.logConfig.maxMessageBytes = config.messageMaxBytes
        config.logConfig.minInSyncReplicas = config.minInSyncReplicas
        config.logConfig.uncleanLeaderElectionEnable = config.uncleanLeaderElectionEnable
        guard !config.zookeeperConnect.isEmpty else {
            throw Error(key: "zookeeper.connect", reason: "is required (host:port[,host:port...][/chroot])")
        }
        guard config.brokerID >= 0 || config.brokerIDGenerationEnable else {
            throw Error(key: "broker.id", reason: "must be set when broker.id.generation.enable is false")
        }
        guard config.brokerID <= config.reservedBrokerMaxID else {
            throw Error(
                key: "broker.id",
                reason: "\(config.brokerID) is above reserved.broker.max.id \(config.reservedBrokerMaxID)"
            )
        }
        guard ["kafka", "zookeeper"].contains(config.offsetsStorage) else {
            throw Error(key: "offsets.storage", reason: "'\(config.offsetsStorage)' is not kafka or zookeeper")
        }
        return (config, warnings)
    }

    /// Keys Kafka knows that this broker accepts without acting on them (threads, security, quotas, ...).
    static let ignoredKeys: Set<String> = [
        "num.network.threads", "num.io.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
        "num.recovery.threads.per.data.dir", "num.replica.fetchers", "queued.max.requests",
        "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
        "transaction.state.log.num.partitions",
        "log.retention.ms", "log.retention.minutes", "log.retention.hours", "log.roll.ms", "log.roll.hours",
        "log.dir", "zookeeper.set.acl", "inter.broker.protocol.version", "log.message.format.version",
        "compression.type",
        "replica.socket.timeout.ms",
        "offsets.commit.required.acks", "offsets.topic.segment.bytes",
        "log.cleaner.threads",
        "log.cleaner.backoff.ms", "fetch.max.bytes", "connections.max.idle.ms", "request.timeout.ms",
    ]

    typealias Setter = @Sendable (inout BrokerConfig, String) throws(Error) -> Void

    static let setters: [String: Setter] = [
        "broker.id": { c, v throws(Error) in c.brokerID = try parseInt("broker.id", v) },
        "broker.id.generation.enable": { c, v throws(Error) in
            c.brokerIDGenerationEnable = try parseBool("broker.id.generation.enable", v)
        },
        "reserved.broker.max.id": { c, v throws(Error) in
            c.reservedBrokerMaxID = try parseInt("reserved.broker.max.id", v)
        },
        "listeners": { c, v in c.listeners = v },
        "advertised.listeners": { c, v in c.advertisedListeners = v },
        "listener.security.protocol.map": { c, v in c.listenerSecurityProtocolMap = v },
        "inter.broker.listener.name": { c, v in c.interBrokerListenerName = v },
        "log.dirs": { c, v throws(Error) in c.logDirs = try parseList("log.dirs", v) },
        "zookeeper.connect": { c, v in c.zookeeperConnect = v },
        "zookeeper.session.timeout.ms": { c, v throws(Error) in
            c.zookeeperSessionTimeoutMs = try parseLong("zookeeper.session.timeout.ms", v)
        },
        "zookeeper.connection.timeout.ms": { c, v throws(Error) in
            c.zookeeperConnectionTimeoutMs = try parseLong("zookeeper.connection.timeout.ms", v)
        },
        "num.partitions": { c, v throws(Error) in c.numPartitions = try parseInt("num.partitions", v, minimum: 1) },
        "default.replication.factor": { c, v throws(Error) in
            c.defaultReplicationFactor = Int16(try parseInt("default.replication.factor", v, minimum: 1))
        },
        "auto.create.topics.enable": { c, v throws(Error) in
            c.autoCreateTopicsEnable = try parseBool("auto.create.topics.enable", v)
        },
        "delete.topic.enable": { c, v throws(Error) in c.deleteTopicEnable = try parseBool("delete.topic.enable", v) },
        "message.max.bytes": { c, v throws(Error) in
            c.messageMaxBytes = Int(try parseInt("message.max.bytes", v, minimum: 0))
        },
        "socket.request.max.bytes": { c, v throws(Error) in
            c.socketRequestMaxBytes = Int(try parseInt("socket.request.max.bytes", v, minimum: 1))
        },
        "log.segment.bytes": { c, v throws(Error) in
            c.logConfig.segmentBytes = Int(try parseInt("log.segment.bytes", v, minimum: 14))
        },
        "log.retention.bytes": { c, v throws(Error) in
            c.logConfig.retentionBytes = try parseLong("log.retention.bytes", v)
        },
        "log.retention.check.interval.ms": { c, v throws(Error) in
            c.logRetentionCheckIntervalMs = try parseLong("log.retention.check.interval.ms", v, minimum: 1)
        },
        "log.index.interval.bytes": { c, v throws(Error) in
            c.logConfig.indexIntervalBytes = Int(try parseInt("log.index.interval.bytes", v, minimum: 0))
        },
        "log.index.size.max.bytes": { c, v throws(Error) in
            c.logConfig.segmentIndexBytes = Int(try parseInt("log.index.size.max.bytes", v, minimum: 4))
        },
        "log.flush.interval.messages": { c, v throws(Error) in
            c.logConfig.flushMessages = try parseLong("log.flush.interval.messages", v, minimum: 1)
        },
        "log.flush.interval.ms": { c, v throws(Error) in
            c.logConfig.flushMs = try parseLong("log.flush.interval.ms", v, minimum: 0)
        },
        "log.flush.scheduler.interval.ms": { c, v throws(Error) in
            c.logFlushSchedulerIntervalMs = try parseLong("log.flush.scheduler.interval.ms", v)
        },
        "log.flush.offset.checkpoint.interval.ms": { c, v throws(Error) in
            c.logFlushOffsetCheckpointIntervalMs = try parseLong(
                "log.flush.offset.checkpoint.interval.ms",
                v,
                minimum: 0
            )
        },
        "log.cleanup.policy": { c, v throws(Error) in
            guard
                let policy = LogConfig.CleanupPolicy(rawValue: v.replacingCommaSpaces())
                    ?? (v == "delete,compact" ? .compactAndDelete : nil)
            else {
                throw Error(key: "log.cleanup.policy", reason: "'\(v)' is not delete, compact or compact,delete")
            }
            c.logConfig.cleanupPolicy = policy
        },
        "log.cleaner.enable": { c, v throws(Error) in c.logCleanerEnable = try parseBool("log.cleaner.enable", v) },
        "log.cleaner.delete.retention.ms": { c, v throws(Error) in
            c.logConfig.deleteRetentionMs = try parseLong("log.cleaner.delete.retention.ms", v, minimum: 0)
        },
        "log.cleaner.min.compaction.lag.ms": { c, v throws(Error) in
            c.logConfig.minCompactionLagMs = try parseLong("log.cleaner.min.compaction.lag.ms", v, minimum: 0)
        },
        "log.segment.delete.delay.ms": { c, v throws(Error) in
            c.logConfig.fileDeleteDelayMs = try parseLong("log.segment.delete.delay.ms", v, minimum: 0)
        },
        "log.message.timestamp.type": { c, v throws(Error) in
            guard let type = LogConfig.TimestampType(rawValue: v) else {
                throw Error(key: "log.message.timestamp.type", reason: "'\(v)' is not CreateTime or LogAppendTime")
            }
            c.logConfig.timestampType = type
        },
        "min.insync.replicas": { c, v throws(Error) in
            c.minInSyncReplicas = Int(try parseInt("min.insync.replicas", v, minimum: 1))
        },
        "unclean.leader.election.enable": { c, v throws(Error) in
            c.uncleanLeaderElectionEnable = try parseBool("unclean.leader.election.enable", v)
        },
        "replica.fetch.wait.max.ms": { c, v throws(Error) in
            c.replicaFetchWaitMaxMs = try parseInt("replica.fetch.wait.max.ms", v, minimum: 0)
        },
        "replica.fetch.min.bytes": { c, v throws(Error) in
            c.replicaFetchMinBytes = try parseInt("replica.fetch.min.bytes", v, minimum: 1)
        },
        "replica.fetch.max.bytes": { c, v throws(Error) in
            c.replicaFetchMaxBytes = try parseInt("replica.fetch.max.bytes", v, minimum: 0)
        },
        "replica.fetch.response.max.bytes": { c, v throws(Error) in
            c.replicaFetchResponseMaxBytes = try parseInt("replica.fetch.response.max.bytes", v, minimum: 0)
        },
        "replica.fetch.backoff.ms": { c, v throws(Error) in
            c.replicaFetchBackoffMs = try parseLong("replica.fetch.backoff.ms", v, minimum: 0)
        },
        "offsets.commit.timeout.ms": { c, v throws(Error) in
            c.offsetsCommitTimeoutMs = try parseLong("offsets.commit.timeout.ms", v, minimum: 1)
        },
        "auto.leader.rebalance.enable": { c, v throws(Error) in
            c.autoLeaderRebalanceEnable = try parseBool("auto.leader.rebalance.enable", v)
        },
        "leader.imbalance.check.interval.seconds": { c, v throws(Error) in
            c.leaderImbalanceCheckIntervalSeconds = try parseLong(
                "leader.imbalance.check.interval.seconds",
                v,
                minimum: 1
            )
        },
        "leader.imbalance.per.broker.percentage": { c, v throws(Error) in
            c.leaderImbalancePerBrokerPercentage = Int(
                try parseInt("leader.imbalance.per.broker.percentage", v, minimum: 0)
            )
        },
        "controlled.shutdown.max.retries": { c, v throws(Error) in
            c.controlledShutdownMaxRetries = try parseInt("controlled.shutdown.max.retries", v, minimum: 1)
        },
        "controlled.shutdown.retry.backoff.ms": { c, v throws(Error) in
            c.controlledShutdownRetryBackoffMs = try parseLong("controlled.shutdown.retry.backoff.ms", v, minimum: 0)
        },
        "replica.lag.time.max.ms": { c, v throws(Error) in
            c.replicaLagTimeMaxMs = try parseLong("replica.lag.time.max.ms", v, minimum: 1)
        },
        "offsets.topic.num.partitions": { c, v throws(Error) in
            c.offsetsTopicNumPartitions = try parseInt("offsets.topic.num.partitions", v, minimum: 1)
        },
        "offsets.topic.replication.factor": { c, v throws(Error) in
            c.offsetsTopicReplicationFactor = Int16(try parseInt("offsets.topic.replication.factor", v, minimum: 1))
        },
        "offsets.retention.check.interval.ms": { c, v throws(Error) in
            c.offsetsRetentionCheckIntervalMs = try parseLong("offsets.retention.check.interval.ms", v, minimum: 1)
        },
        "offsets.retention.minutes": { c, v throws(Error) in
            c.offsetsRetentionMinutes = try parseLong("offsets.retention.minutes", v, minimum: 1)
        },
        "offsets.storage": { c, v in c.offsetsStorage = v },
        "group.initial.rebalance.delay.ms": { c, v throws(Error) in
            c.groupInitialRebalanceDelayMs = try parseLong("group.initial.rebalance.delay.ms", v, minimum: 0)
        },
        "group.min.session.timeout.ms": { c, v throws(Error) in
            c.groupMinSessionTimeoutMs = try parseInt("group.min.session.timeout.ms", v)
        },
        "group.max.size": { c, v throws(Error) in
            c.groupMaxSize = Int(try parseInt("group.max.size", v, minimum: 1))
        },
        "offset.metadata.max.bytes": { c, v throws(Error) in
            c.offsetMetadataMaxBytes = Int(try parseInt("offset.metadata.max.bytes", v, minimum: 0))
        },
        "group.max.session.timeout.ms": { c, v throws(Error) in
            c.groupMaxSessionTimeoutMs = try parseInt("group.max.session.timeout.ms", v)
        },
        "metrics.port": { c, v throws(Error) in c.metricsPort = try parseInt("metrics.port", v, minimum: -1) },
        "metrics.host": { c, v in c.metricsHost = v },
        "controlled.shutdown.enable": { c, v throws(Error) in
            c.controlledShutdownEnable = try parseBool("controlled.shutdown.enable", v)
        },
    ]

    static func parseInt(_ key: String, _ value: String, minimum: Int32 = Int32.min) throws(Error) -> Int32 {
        guard let number = Int32(value), number >= minimum else {
            throw Error(
                key: key,
                reason: "'\(value)' is not an integer\(minimum > Int32.min ? " of at least \(minimum)" : "")"
            )
        }
        return number
    }

    static func parseLong(_ key: String, _ value: String, minimum: Int64 = Int64.min) throws(Error) -> Int64 {
        guard let number = Int64(value), number >= minimum else {
            throw Error(
                key: key,
                reason: "'\(value)' is not a long\(minimum > Int64.min ? " of at least \(minimum)" : "")"
            )
        }
        return number
    }

    static func parseBool(_ key: String, _ value: String) throws(Error) -> Bool {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw Error(key: key, reason: "'\(value)' is not true or false")
        }
    }

    static func parseList(_ key: String, _ value: String) throws(Error) -> [String] {
        let items = value.split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw Error(key: key, reason: "is empty") }
        return items
    }
}

extension String {
    func trimmingCharacters() -> String {
        var result = Substring(self)
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }

    fileprivate func replacingCommaSpaces() -> String {
        split(separator: ",").map { String($0).trimmingCharacters() }.joined(separator: ",")
    }
}
