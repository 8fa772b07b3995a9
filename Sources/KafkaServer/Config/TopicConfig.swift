public import KafkaStorage

/// Topic-level configs (`/config/topics/<t>`, CreateTopics, AlterConfigs) over the broker's defaults, with Kafka's
/// topic key names. An unknown key or a value that does not parse is INVALID_CONFIG.
public enum TopicConfig {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var key: String
        public var value: String
        public var description: String { "Invalid value \(value) for configuration \(key)" }
    }

    public static let keys: Set<String> = [
        "segment.bytes", "segment.ms", "segment.index.bytes", "index.interval.bytes", "retention.ms",
        "retention.bytes", "cleanup.policy", "delete.retention.ms", "min.compaction.lag.ms",
        "min.cleanable.dirty.ratio", "flush.messages", "flush.ms", "max.message.bytes", "message.timestamp.type",
        "file.delete.delay.ms", "unclean.leader.election.enable", "min.insync.replicas", "compression.type",
        "preallocate", "message.downconversion.enable", "segment.jitter.ms", "max.compaction.lag.ms",
        "message.timestamp.difference.max.ms", "follower.replication.throttled.replicas",
        "leader.replication.throttled.replicas", "message.format.version",
    ]

    public static func apply(_ overrides: [String: String], to defaults: LogConfig) throws(Invalid) -> LogConfig {
        var config = defaults
        for (key, value) in overrides {
            func long(minimum: Int64 = Int64.min) throws(Invalid) -> Int64 {
                guard let number = Int64(value), number >= minimum else { throw Invalid(key: key, value: value) }
                return number
            }
            switch key {
            case "segment.bytes": config.segmentBytes = Int(try long(minimum: 14))
            case "segment.ms": config.segmentMs = try long(minimum: 1)
            case "segment.index.bytes": config.segmentIndexBytes = Int(try long(minimum: 4))
            case "index.interval.bytes": config.indexIntervalBytes = Int(try long(minimum: 0))
            case "retention.ms": config.retentionMs = try long(minimum: -1)
            case "retention.bytes": config.retentionBytes = try long()
            case "delete.retention.ms": config.deleteRetentionMs = try long(minimum: 0)
            case "min.compaction.lag.ms": config.minCompactionLagMs = try long(minimum: 0)
            case "flush.messages": config.flushMessages = try long(minimum: 1)
            case "flush.ms": config.flushMs = try long(minimum: 0)
            case "max.message.bytes": config.maxMessageBytes = Int(try long(minimum: 0))
            case "file.delete.delay.ms": config.fileDeleteDelayMs = try long(minimum: 0)
            case "min.insync.replicas": config.minInSyncReplicas = Int(try long(minimum: 1))
            case "min.cleanable.dirty.ratio":
                guard let ratio = Double(value), (0...1).contains(ratio) else { throw Invalid(key: key, value: value) }
                config.minCleanableDirtyRatio = ratio
            case "cleanup.policy":
                let normalized = value.split(separator: ",").map { String($0).trimmingCharacters() }.sorted()
                switch normalized {
                case ["delete"]: config.cleanupPolicy = .delete
                case ["compact"]: config.cleanupPolicy = .compact
                case ["compact", "delete"]: config.cleanupPolicy = .compactAndDelete
                default: throw Invalid(key: key, value: value)
                }
            case "message.timestamp.type":
                guard let type = LogConfig.TimestampType(rawValue: value) else { throw Invalid(key: key, value: value) }
                config.timestampType = type
            case "unclean.leader.election.enable":
                guard value == "true" || value == "false" else { throw Invalid(key: key, value: value) }
                config.uncleanLeaderElectionEnable = value == "true"
            default:
                guard keys.contains(key) else { throw Invalid(key: key, value: value) }
            }
        }
        return config
    }
}

extension TopicConfig {
    /// Where a described config value comes from (DescribeConfigs' ConfigSource).
    public enum Source: Int8, Sendable {
        case dynamicTopicConfig = 1
        case staticBrokerConfig = 4
        case defaultConfig = 5
    }

    /// The topic's effective configs, as DescribeConfigs lists them: every topic key with its value, and whether the
    /// topic overrides it.
    public static func describe(
        _ overrides: [String: String],
        defaults: LogConfig
    ) -> [(name: String, value: String, source: Source)] {
        let config = (try? apply(overrides, to: defaults)) ?? defaults
        // Kafka's sources: a topic override; else a broker setting that differs from Kafka's default (a
        // `log.*` key in server.properties, STATIC_BROKER_CONFIG); else the default.
        let kafkaDefaults = Dictionary(uniqueKeysWithValues: values(LogConfig(), overrides: [:]))
        return values(config, overrides: overrides).map { name, value in
            let source: Source =
                overrides[name] != nil
                ? .dynamicTopicConfig : (kafkaDefaults[name] == value ? .defaultConfig : .staticBrokerConfig)
            return (name, value, source)
        }
    }

    private static func values(_ config: LogConfig, overrides: [String: String]) -> [(String, String)] {
        [
            ("cleanup.policy", config.cleanupPolicy.rawValue),
            ("compression.type", overrides["compression.type"] ?? "producer"),
            ("delete.retention.ms", "\(config.deleteRetentionMs)"),
            ("file.delete.delay.ms", "\(config.fileDeleteDelayMs)"),
            ("flush.messages", "\(config.flushMessages)"),
            ("flush.ms", "\(config.flushMs)"),
            ("index.interval.bytes", "\(config.indexIntervalBytes)"),
            ("max.message.bytes", "\(config.maxMessageBytes)"),
            ("message.timestamp.type", config.timestampType.rawValue),
            ("min.cleanable.dirty.ratio", "\(config.minCleanableDirtyRatio)"),
            ("min.compaction.lag.ms", "\(config.minCompactionLagMs)"),
            ("min.insync.replicas", "\(config.minInSyncReplicas)"),
            ("retention.bytes", "\(config.retentionBytes)"),
            ("retention.ms", "\(config.retentionMs)"),
            ("segment.bytes", "\(config.segmentBytes)"),
            ("segment.index.bytes", "\(config.segmentIndexBytes)"),
            ("segment.ms", "\(config.segmentMs)"),
            ("unclean.leader.election.enable", "\(config.uncleanLeaderElectionEnable)"),
        ]
    }
}
