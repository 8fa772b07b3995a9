import KafkaClient
public import KafkaConnect
import KafkaCore
import KafkaMirror
import Logging

/// `org.apache.kafka.connect.mirror.MirrorHeartbeatConnector`: one task that writes a `Heartbeat`
/// (source alias, target alias, now) into the target's `heartbeats` topic every
/// `emit.heartbeats.interval.seconds` (1; negative or `emit.heartbeats.enabled=false` turns it off). Mirrored
/// onward as `<alias>.heartbeats`, the beats tell each cluster which clusters are upstream and how long
/// replication takes. At start it creates `heartbeats` on the target (one compacted partition). It runs for every
/// pair of clusters, also where the flow itself is not enabled, as in Kafka.
public final class MirrorHeartbeatConnector: SourceConnector {
    public static let className = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"
    public static let version = ConnectVersion.kafka
    public static let taskType: any SourceTask.Type = MirrorHeartbeatTask.self
    public static var configKeys: [ConfigKey] { MirrorConnectorConfig.configKeys }

    private var settings: MirrorConnectorConfig?
    private var creation: Task<Void, Never>?

    public init() {}

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        let settings = try MirrorConnectorConfig(config)
        self.settings = settings
        guard settings.emitHeartbeatsInterval != nil else { return }
        creation = Task {
            await MirrorAdmin.createUntilDone(
                NewTopic(
                    name: ReplicationPolicy.heartbeatsTopic,
                    numPartitions: 1,
                    replicationFactor: settings.heartbeatsReplicationFactor,
                    configs: ["cleanup.policy": "compact"]
                ),
                properties: settings.targetClient("admin", config),
                settings: settings
            )
        }
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        settings?.emitHeartbeatsInterval == nil ? [] : [[:]]
    }

    public func stop() {
        creation?.cancel()
        creation = nil
    }
}

/// The task of `MirrorHeartbeatConnector`: returns one heartbeat per interval (source partition
/// `{"sourceClusterAlias", "targetClusterAlias"}`, offset `{"offset": 0}`).
public final class MirrorHeartbeatTask: SourceTask {
    private var settings: MirrorConnectorConfig?
    private var next = ContinuousClock.now

    public init() {}

    public func start(_ config: [String: String], context: any SourceTaskContext) async throws {
        settings = try MirrorConnectorConfig(config)
    }

    public func poll() async throws -> [SourceRecord] {
        guard let settings, let interval = settings.emitHeartbeatsInterval else {
            try await Task.sleep(for: .seconds(1))
            return []
        }
        guard try await MirrorAdmin.isDue(&next, every: interval) else { return [] }
        let heartbeat = Heartbeat(
            sourceClusterAlias: settings.sourceAlias,
            targetClusterAlias: settings.targetAlias,
            timestamp: MirrorAdmin.nowMilliseconds()
        )
        return [
            SourceRecord(
                sourcePartition: .stringMap([
                    "sourceClusterAlias": .string(settings.sourceAlias),
                    "targetClusterAlias": .string(settings.targetAlias),
                ]),
                sourceOffset: .stringMap(["offset": .int64(0)]),
                topic: ReplicationPolicy.heartbeatsTopic,
                kafkaPartition: 0,
                keySchema: .bytes,
                key: .bytes(heartbeat.key),
                valueSchema: .bytes,
                value: .bytes(heartbeat.value),
                timestamp: heartbeat.timestamp
            )
        ]
    }

    public func stop() async {}
}
