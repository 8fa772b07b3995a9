import KafkaCore
import KafkaZooKeeper

/// Applies topic config changes announced in `/config/changes/config_change_<seq>` to this broker's logs, as Kafka's
/// `ZkNodeChangeNotificationListener` does. Notifications older than this broker's start are skipped (logs get their
/// topic's config when they are created or led). An actor: notifications are handled one at a time.
actor ConfigChangeListener {
    let services: BrokerServices
    private var lastSequence = -1

    init(services: BrokerServices) { self.services = services }

    /// Reads the current notifications (setting the watch) and remembers where they end.
    func start() async {
        let children = (try? await services.zk.zookeeper.children(ZkPaths.configChanges, watch: true)) ?? []
        lastSequence = children.compactMap(Self.sequence).max() ?? -1
    }

    /// The watch fired: apply the notifications not seen yet.
    func process() async {
        let children = (try? await services.zk.zookeeper.children(ZkPaths.configChanges, watch: true)) ?? []
        for (sequence, child) in children.compactMap({ name in Self.sequence(name).map { ($0, name) } }).sorted(by: {
            $0.0 < $1.0
        })
        where sequence > lastSequence {
            lastSequence = sequence
            guard let fetched = try? await services.zk.zookeeper.getData("\(ZkPaths.configChanges)/\(child)"),
                let data = fetched.data,
                case let text = String(decoding: data, as: UTF8.self),
                let range = text.range(of: "\"entity_path\":\"topics/")
            else { continue }
            let topic = String(text[range.upperBound...].prefix { $0 != "\"" })
            let config = await services.logConfig(for: topic)
            for partition in services.replicaManager.allPartitions where partition.topicPartition.topic == topic {
                partition.log.updateConfig(config)
            }
            services.logger.info("Applied a topic config change", metadata: ["topic": "\(topic)"])
        }
    }

    private static func sequence(_ name: String) -> Int? {
        guard name.hasPrefix("config_change_") else { return nil }
        return Int(name.dropFirst("config_change_".count))
    }
}
