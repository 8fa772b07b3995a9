public import KafkaCore

/// A consumer's settings by the Java client's property names (`ConsumerConfig`), with Kafka 2.8's defaults.
/// Unknown keys are refused.
public struct ConsumerConfiguration: PropertyConfigurable {
    /// The settings every client shares (`bootstrap.servers`, `client.id`, ...).
    public var client = ClientConfiguration()
    /// `group.id`: the consumer group; without one the consumer can only `assign` and cannot commit.
    public var groupID: String?
    /// `group.instance.id`: a static member's stable name (KIP-345); its restart within the session timeout does
    /// not rebalance the group.
    public var groupInstanceID: String?
    /// `session.timeout.ms`: the coordinator removes a member it has not heard from for this long.
    public var sessionTimeoutMs: Int32 = 10_000
    /// `heartbeat.interval.ms`: how often the member tells the coordinator it is alive.
    public var heartbeatIntervalMs: Int32 = 3_000
    /// `max.poll.interval.ms`: the longest gap between polls before the member leaves the group; also the
    /// rebalance timeout it announces.
    public var maxPollIntervalMs: Int32 = 300_000
    /// `max.poll.records`: the most records one `poll` returns.
    public var maxPollRecords: Int32 = 500
    /// `enable.auto.commit`: positions are committed every `auto.commit.interval.ms` and before a rebalance.
    public var enableAutoCommit = true
    /// `auto.commit.interval.ms`.
    public var autoCommitIntervalMs: Int32 = 5_000
    /// `auto.offset.reset`: where a partition without a committed offset (or with one out of range) starts.
    public var autoOffsetReset = OffsetResetStrategy.latest
    /// `fetch.min.bytes`: the broker holds a fetch until it has this much.
    public var fetchMinBytes: Int32 = 1
    /// `fetch.max.bytes`: the most data one fetch answer carries.
    public var fetchMaxBytes: Int32 = 52_428_800
    /// `fetch.max.wait.ms`: the longest the broker holds a fetch waiting for `fetch.min.bytes`.
    public var fetchMaxWaitMs: Int32 = 500
    /// `max.partition.fetch.bytes`: the most data one fetch answer carries per partition.
    public var maxPartitionFetchBytes: Int32 = 1_048_576
    /// `isolation.level`: read_uncommitted, or read_committed (records of open or aborted transactions hidden).
    public var isolationLevel = IsolationLevel.readUncommitted
    /// `partition.assignment.strategy`: the assignors offered to the group, preferred first: `range`,
    /// `roundrobin`, or the Java client's class names for them.
    public var partitionAssignmentStrategy = ["org.apache.kafka.clients.consumer.RangeAssignor"]
    /// `allow.auto.create.topics`: a subscribed topic that does not exist is created (when the broker allows it).
    public var allowAutoCreateTopics = true
    /// `exclude.internal.topics`: a pattern subscription never matches internal topics.
    public var excludeInternalTopics = true
    /// `check.crcs`: every fetched batch's CRC is checked.
    public var checkCrcs = true
    /// `client.rack`: the consumer's rack, sent with fetches (KIP-392).
    public var clientRack = ""
    /// `default.api.timeout.ms`: how long a blocking call (commitSync, committed, position, ...) may take.
    public var defaultApiTimeoutMs: Int32 = 60_000

    public init() {}

    public static let properties: [ConfigProperty<ConsumerConfiguration>] =
        ClientConfiguration.properties.map { $0.lifted(\ConsumerConfiguration.client) } + [
            .key("group.id", \.groupID, "The consumer group to join."),
            .key("group.instance.id", \.groupInstanceID, "A static member's stable name."),
            .key("session.timeout.ms", \.sessionTimeoutMs, .atLeast(1), "A silent member is removed after this."),
            .key("heartbeat.interval.ms", \.heartbeatIntervalMs, .atLeast(1), "How often a member heartbeats."),
            .key("max.poll.interval.ms", \.maxPollIntervalMs, .atLeast(1), "The longest gap between polls."),
            .key("max.poll.records", \.maxPollRecords, .atLeast(1), "The most records one poll returns."),
            .key("enable.auto.commit", \.enableAutoCommit, "Commit positions periodically."),
            .key("auto.commit.interval.ms", \.autoCommitIntervalMs, .atLeast(0), "How often positions are committed."),
            .key("auto.offset.reset", \.autoOffsetReset, "earliest, latest or none."),
            .key("fetch.min.bytes", \.fetchMinBytes, .atLeast(0), "The broker waits for this much data."),
            .key("fetch.max.bytes", \.fetchMaxBytes, .atLeast(0), "The most data one fetch returns."),
            .key("fetch.max.wait.ms", \.fetchMaxWaitMs, .atLeast(0), "The longest a fetch waits for data."),
            .key("max.partition.fetch.bytes", \.maxPartitionFetchBytes, .atLeast(0), "The most data per partition."),
            .key("isolation.level", \.isolationLevel, "read_uncommitted or read_committed."),
            .key("partition.assignment.strategy", \.partitionAssignmentStrategy, "The assignors, preferred first."),
            .key("allow.auto.create.topics", \.allowAutoCreateTopics, "Subscribing creates a missing topic."),
            .key("exclude.internal.topics", \.excludeInternalTopics, "Patterns never match internal topics."),
            .key("check.crcs", \.checkCrcs, "Check every fetched batch's CRC."),
            .key("client.rack", \.clientRack, "The consumer's rack."),
            .key("default.api.timeout.ms", \.defaultApiTimeoutMs, .atLeast(0), "The longest a blocking call takes."),
        ]

    /// The rules between keys (Kafka's `ConsumerConfig` and `GroupRebalanceConfig`).
    public func validated() throws(ConfigError) -> ConsumerConfiguration {
        _ = try client.bootstrapAddresses()
        if heartbeatIntervalMs >= sessionTimeoutMs {
            throw ConfigError(key: "heartbeat.interval.ms", reason: "must be below session.timeout.ms")
        }
        _ = try assignors()
        if groupInstanceID == "" {
            throw ConfigError(key: "group.instance.id", reason: "must not be empty")
        }
        return self
    }

    /// The assignors `partition.assignment.strategy` names, preferred first.
    public func assignors() throws(ConfigError) -> [any PartitionAssignor] {
        var assignors: [any PartitionAssignor] = []
        for name in partitionAssignmentStrategy {
            guard let assignor = knownAssignors.first(where: { $0.name == name || $0.javaClassName == name }) else {
                throw ConfigError(key: "partition.assignment.strategy", reason: "unknown assignor '\(name)'")
            }
            assignors.append(assignor)
        }
        guard !assignors.isEmpty else {
            throw ConfigError(key: "partition.assignment.strategy", reason: "needs at least one assignor")
        }
        return assignors
    }
}

/// `auto.offset.reset`.
public enum OffsetResetStrategy: String, ConfigValue {
    case earliest, latest, none

    public static var kafkaType: String { "string" }
    public static var expectation: String { "earliest, latest or none" }
    public init?(configText: String) { self.init(rawValue: configText) }
    public var configText: String { rawValue }
}

/// `isolation.level`, as Fetch and ListOffsets send it.
public enum IsolationLevel: Int8, ConfigValue {
    case readUncommitted = 0
    case readCommitted = 1

    public static var kafkaType: String { "string" }
    public static var expectation: String { "read_uncommitted or read_committed" }

    public init?(configText: String) {
        switch configText {
        case "read_uncommitted": self = .readUncommitted
        case "read_committed": self = .readCommitted
        default: return nil
        }
    }

    public var configText: String { self == .readCommitted ? "read_committed" : "read_uncommitted" }
}
