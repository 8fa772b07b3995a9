import Foundation

/// `mm2.properties`, MirrorMaker 2's driver configuration (Kafka 2.8's `MirrorMakerConfig`), turned into flows:
///
/// ```
/// clusters = A, B
/// A.bootstrap.servers = a1:9092      # a cluster's client keys (A.producer.*, A.consumer.*, A.admin.* for one)
/// B.bootstrap.servers = b1:9092
/// A->B.enabled = true                # a flow is off unless enabled
/// A->B.topics = orders.*             # a flow's own value of any connector key
/// replication.factor = 3             # bare keys: every flow's connectors and workers
/// ```
///
/// Every ordered pair of clusters is a flow when it is enabled or emits heartbeats (`emit.heartbeats.enabled`,
/// true by default: an idle pair still beats, so its target's upstream knows it is there). Each flow runs a
/// Connect worker group on its target cluster (`<source>-mm2`, internal topics `mm2-{configs,offsets,status}.
/// <source>.internal`, ByteArrayConverter) with MirrorSourceConnector and MirrorCheckpointConnector when enabled and
/// MirrorHeartbeatConnector always. A value.
public struct MirrorMakerConfig: Sendable {
    public struct Flow: Sendable, Equatable {
        public var source: String
        public var target: String
        public var enabled: Bool
        /// The Connect worker's properties (its target cluster's client keys, the group and internal topics).
        public var worker: [String: String]
        /// Each connector's configuration, `name` and `connector.class` included.
        public var connectors: [[String: String]]

        public var name: String { "\(source)->\(target)" }
    }

    public var clusters: [String]
    public var flows: [Flow]

    public static let connectorClasses = [
        "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
        "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
    ]

    /// Worker keys a bare or flow key may set (the distributed worker's keys MirrorMaker passes through).
    static let workerKeys: Set<String> = [
        "config.storage.replication.factor", "offset.storage.replication.factor", "status.storage.replication.factor",
        "offset.storage.partitions", "status.storage.partitions", "offset.flush.interval.ms", "session.timeout.ms",
        "heartbeat.interval.ms", "rebalance.timeout.ms", "connect.protocol", "scheduled.rebalance.max.delay.ms",
        "task.shutdown.graceful.timeout.ms", "offset.flush.timeout.ms",
    ]

    /// The flows of `properties`; `only` keeps the flows whose target is one of those clusters (`--clusters`).
    public init(_ properties: [String: String], only: [String] = []) throws(MirrorConfigError) {
        let clusters = (properties["clusters"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !clusters.isEmpty else {
            throw MirrorConfigError(key: "clusters", reason: "no clusters are named (clusters = A, B)")
        }
        for alias in clusters where properties["\(alias).bootstrap.servers"] == nil {
            throw MirrorConfigError(
                key: "\(alias).bootstrap.servers",
                reason: "cluster \(alias) has no bootstrap servers"
            )
        }
        for alias in only where !clusters.contains(alias) {
            throw MirrorConfigError(key: "--clusters", reason: "\(alias) is not one of the clusters \(clusters)")
        }
        self.clusters = clusters
        let clusterPrefixes = clusters.map { $0 + "." }
        var bare: [String: String] = [:]
        for (key, value) in properties where key != "clusters" && !key.contains("->") {
            if clusterPrefixes.contains(where: { key.hasPrefix($0) }) { continue }
            bare[key] = value
        }
        var flows: [Flow] = []
        for source in clusters {
            for target in clusters where target != source && (only.isEmpty || only.contains(target)) {
                let prefix = "\(source)->\(target)."
                var settings = bare
                for (key, value) in properties where key.hasPrefix(prefix) {
                    settings[String(key.dropFirst(prefix.count))] = value
                }
                let enabled = try Self.flag(settings["enabled"] ?? "false", key: prefix + "enabled")
                let heartbeats = try Self.flag(
                    settings["emit.heartbeats.enabled"] ?? "true",
                    key: prefix + "emit.heartbeats.enabled"
                )
                guard enabled || heartbeats else { continue }
                settings["enabled"] = enabled ? "true" : "false"
                settings["source.cluster.alias"] = source
                settings["target.cluster.alias"] = target
                for (key, value) in Self.cluster(source, properties) { settings["source.cluster." + key] = value }
                for (key, value) in Self.cluster(target, properties) { settings["target.cluster." + key] = value }
                var connectors: [[String: String]] = []
                for className in Self.connectorClasses {
                    let simpleName = String(className.split(separator: ".").last ?? "")
                    if !enabled && simpleName != "MirrorHeartbeatConnector" { continue }
                    var connector = settings.filter { !Self.workerKeys.contains($0.key) }
                    connector["name"] = simpleName
                    connector["connector.class"] = className
                    connectors.append(connector)
                }
                // The worker writes to its target: the target's client and producer keys, not its admin ones.
                var worker = Self.cluster(target, properties).filter { !$0.key.hasPrefix("admin.") }
                for (key, value) in settings where Self.workerKeys.contains(key) { worker[key] = value }
                // A dedicated MirrorMaker's workers are its own processes: a restarted one takes its flows back at
                // once rather than after Connect's five-minute wait for a departed worker (set it to keep that).
                if worker["scheduled.rebalance.max.delay.ms"] == nil {
                    worker["scheduled.rebalance.max.delay.ms"] = "0"
                }
                worker["group.id"] = "\(source)-mm2"
                worker["config.storage.topic"] = "mm2-configs.\(source).internal"
                worker["offset.storage.topic"] = "mm2-offsets.\(source).internal"
                worker["status.storage.topic"] = "mm2-status.\(source).internal"
                for converter in ["key.converter", "value.converter", "header.converter"] {
                    worker[converter] = "org.apache.kafka.connect.converters.ByteArrayConverter"
                }
                flows.append(
                    Flow(source: source, target: target, enabled: enabled, worker: worker, connectors: connectors)
                )
            }
        }
        self.flows = flows
    }

    /// A cluster's own keys (`A.bootstrap.servers` → `bootstrap.servers`).
    static func cluster(_ alias: String, _ properties: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in properties where key.hasPrefix(alias + ".") {
            out[String(key.dropFirst(alias.count + 1))] = value
        }
        return out
    }

    static func flag(_ text: String, key: String) throws(MirrorConfigError) -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: throw MirrorConfigError(key: key, reason: "\(text) is not true or false")
        }
    }
}
