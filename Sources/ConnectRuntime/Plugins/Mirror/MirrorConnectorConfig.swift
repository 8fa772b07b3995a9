import KafkaConnect
import KafkaMirror

/// The settings MirrorMaker 2's three connectors share (Kafka 2.8's `MirrorConnectorConfig`, the keys a driver or
/// a user's REST request gives them): the two clusters' aliases and clients (`source.cluster.*`,
/// `target.cluster.*`: the client keys, with `consumer.`, `producer.` and `admin.` sub-prefixes for one client
/// only), the replication policy, the topic and group filters, the intervals and the internal topics'
/// replication factors. Parsed once per `start`; a value.
struct MirrorConnectorConfig: Sendable {
    var sourceAlias: String
    var targetAlias: String
    var policy: ReplicationPolicy
    var topics: NameFilter
    var groups: NameFilter
    var enabled: Bool
    var refreshTopicsInterval: Duration?
    var syncTopicConfigsInterval: Duration?
    var syncTopicAclsInterval: Duration?
    var emitHeartbeatsInterval: Duration?
    var emitCheckpointsInterval: Duration?
    var syncGroupOffsetsInterval: Duration?
    var refreshGroupsInterval: Duration?
    var replicationFactor: Int16
    var offsetSyncsReplicationFactor: Int16
    var heartbeatsReplicationFactor: Int16
    var checkpointsReplicationFactor: Int16
    var offsetLagMax: Int64
    /// The source's ZooKeeper (`<alias>.zookeeper.connect` in mm2.properties), chroot included: where the groups
    /// with ZooKeeper-stored offsets are found (not a Kafka 2.8 key; MirrorMaker 2 cannot see those groups).
    var sourceZooKeeperConnect: String?

    static let configKeys: [ConfigKey] = [
        ConfigKey("source.cluster.alias", .string, default: nil, required: true, .high, "Alias of source cluster"),
        ConfigKey("target.cluster.alias", .string, default: "target", .medium, "Alias of target cluster."),
        ConfigKey(
            "replication.policy.class",
            .class,
            default: ReplicationPolicy.defaultClassName,
            .low,
            "Class which defines the remote topic naming convention."
        ),
        ConfigKey(
            "replication.policy.separator",
            .string,
            default: ".",
            .low,
            "Separator used in remote topic naming."
        ),
        ConfigKey(
            "topics",
            .list,
            default: ".*",
            .high,
            "Topics to replicate. Supports comma-separated topic names and regexes."
        ),
        ConfigKey("topics.exclude", .list, default: NameFilter.defaultTopicsExclude, .high, "Excluded topics."),
        ConfigKey("groups", .list, default: ".*", .high, "Consumer groups to replicate."),
        ConfigKey("groups.exclude", .list, default: NameFilter.defaultGroupsExclude, .high, "Excluded groups."),
        ConfigKey(
            "source.cluster.zookeeper.connect",
            .string,
            default: nil,
            .low,
            "The source cluster's ZooKeeper, chroot included: consumer groups whose offsets live there (/consumers) are checkpointed too."
        ),
        ConfigKey("refresh.topics.interval.seconds", .long, default: "600", .low, "Frequency of topic refresh."),
        ConfigKey(
            "sync.topic.configs.interval.seconds",
            .long,
            default: "600",
            .low,
            "Frequency of topic config sync."
        ),
        ConfigKey(
            "sync.topic.acls.enabled",
            .boolean,
            default: "true",
            .low,
            "Whether to periodically configure remote topic ACLs to match their corresponding upstream topics."
        ),
        ConfigKey("sync.topic.acls.interval.seconds", .long, default: "600", .low, "Frequency of topic ACL sync."),
        ConfigKey("emit.heartbeats.interval.seconds", .long, default: "1", .low, "Frequency of heartbeats."),
        ConfigKey("emit.checkpoints.interval.seconds", .long, default: "60", .low, "Frequency of checkpoints."),
        ConfigKey(
            "sync.group.offsets.enabled",
            .boolean,
            default: "false",
            .low,
            "Whether to periodically write the translated offsets to __consumer_offsets topic in target cluster, as long as no active consumers in that group are connected to the target cluster"
        ),
        ConfigKey(
            "sync.group.offsets.interval.seconds",
            .long,
            default: "60",
            .low,
            "Frequency of consumer group offset sync."
        ),
        ConfigKey(
            "replication.factor",
            .int,
            default: "2",
            .low,
            "Replication factor for newly created remote topics."
        ),
        ConfigKey(
            "offset.lag.max",
            .long,
            default: "100",
            .low,
            "How out-of-sync a remote partition can be before it is resynced."
        ),
    ]

    init(_ properties: [String: String]) throws(ConnectConfigError) {
        guard let sourceAlias = properties["source.cluster.alias"], !sourceAlias.isEmpty else {
            throw ConnectConfigError(
                "Missing required configuration \"source.cluster.alias\" which has no default value."
            )
        }
        self.sourceAlias = sourceAlias
        targetAlias = properties["target.cluster.alias"].flatMap { $0.isEmpty ? nil : $0 } ?? "target"
        do {
            policy = try ReplicationPolicy(
                className: properties["replication.policy.class"] ?? ReplicationPolicy.defaultClassName,
                separator: properties["replication.policy.separator"] ?? "."
            )
            topics = try NameFilter(
                include: properties["topics"] ?? properties["topics.whitelist"] ?? ".*",
                exclude: properties["topics.exclude"] ?? properties["topics.blacklist"]
                    ?? NameFilter.defaultTopicsExclude,
                key: "topics"
            )
            groups = try NameFilter(
                include: properties["groups"] ?? properties["groups.whitelist"] ?? ".*",
                exclude: properties["groups.exclude"] ?? properties["groups.blacklist"]
                    ?? NameFilter.defaultGroupsExclude,
                key: "groups"
            )
        } catch {
            throw ConnectConfigError(error.description)
        }
        func flag(_ key: String, _ fallback: Bool) throws(ConnectConfigError) -> Bool {
            guard let text = properties[key] else { return fallback }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default:
                throw ConnectConfigError(
                    "Invalid value \(text) for configuration \(key): Expected value to be either true or false"
                )
            }
        }
        func number(_ key: String, _ fallback: Int64) throws(ConnectConfigError) -> Int64 {
            guard let text = properties[key] else { return fallback }
            guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key): Not a number of type LONG")
            }
            return value
        }
        /// An interval in seconds (fractions allowed, for tests); nil when negative or its feature is off.
        func seconds(
            _ key: String,
            _ fallback: Double,
            enabled: String?,
            _ enabledDefault: Bool
        ) throws(ConnectConfigError) -> Duration? {
            if let enabled, try !flag(enabled, enabledDefault) { return nil }
            guard let text = properties[key] else { return .milliseconds(Int64(fallback * 1000)) }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key): Not a number of type LONG")
            }
            return value < 0 ? nil : .milliseconds(Int64(value * 1000))
        }
        enabled = try flag("enabled", true)
        refreshTopicsInterval = try seconds(
            "refresh.topics.interval.seconds",
            600,
            enabled: "refresh.topics.enabled",
            true
        )
        syncTopicConfigsInterval = try seconds(
            "sync.topic.configs.interval.seconds",
            600,
            enabled: "sync.topic.configs.enabled",
            true
        )
        syncTopicAclsInterval = try seconds(
            "sync.topic.acls.interval.seconds",
            600,
            enabled: "sync.topic.acls.enabled",
            true
        )
        emitHeartbeatsInterval = try seconds(
            "emit.heartbeats.interval.seconds",
            1,
            enabled: "emit.heartbeats.enabled",
            true
        )
        emitCheckpointsInterval = try seconds(
            "emit.checkpoints.interval.seconds",
            60,
            enabled: "emit.checkpoints.enabled",
            true
        )
        syncGroupOffsetsInterval = try seconds(
            "sync.group.offsets.interval.seconds",
            60,
            enabled: "sync.group.offsets.enabled",
            false
        )
        refreshGroupsInterval = try seconds(
            "refresh.groups.interval.seconds",
            600,
            enabled: "refresh.groups.enabled",
            true
        )
        replicationFactor = Int16(clamping: try number("replication.factor", 2))
        offsetSyncsReplicationFactor = Int16(clamping: try number("offset-syncs.topic.replication.factor", 3))
        heartbeatsReplicationFactor = Int16(clamping: try number("heartbeats.topic.replication.factor", 3))
        checkpointsReplicationFactor = Int16(clamping: try number("checkpoints.topic.replication.factor", 3))
        offsetLagMax = try number("offset.lag.max", 100)
        sourceZooKeeperConnect = properties["source.cluster.zookeeper.connect"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// One client's properties for a cluster: `<prefix>*` without the other clients' sub-prefixes, then its own
    /// (`<prefix>consumer.*` for the consumer, ...).
    static func clientProperties(_ prefix: String, _ properties: [String: String], role: String) -> [String: String] {
        var shared: [String: String] = [:]
        var own: [String: String] = [:]
        for (key, value) in properties where key.hasPrefix(prefix) {
            let rest = String(key.dropFirst(prefix.count))
            if rest == "alias" || rest == "zookeeper.connect" { continue }
            if rest.hasPrefix(role + ".") {
                own[String(rest.dropFirst(role.count + 1))] = value
            } else if !["consumer.", "producer.", "admin."].contains(where: { rest.hasPrefix($0) }) {
                shared[rest] = value
            }
        }
        return shared.merging(own) { _, own in own }
    }

    func sourceClient(_ role: String, _ properties: [String: String]) -> [String: String] {
        Self.clientProperties("source.cluster.", properties, role: role)
    }

    func targetClient(_ role: String, _ properties: [String: String]) -> [String: String] {
        Self.clientProperties("target.cluster.", properties, role: role)
    }
}
