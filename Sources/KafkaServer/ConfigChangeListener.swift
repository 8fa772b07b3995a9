import KafkaCore
import KafkaZooKeeper

/// Applies topic and user config changes announced in `/config/changes/config_change_<seq>`, as Kafka's
/// `ZkNodeChangeNotificationListener` does: a topic's to its logs, a user's SCRAM credentials to the
/// `ScramCredentialCache` (so a new or changed user authenticates on the next connection), a user's or client id's
/// quotas to the `ClientQuotaCache`. Notifications older than
/// this broker's start are skipped (logs get their topic's config when they are created or led, credentials are read
/// at startup). An actor: notifications are handled one at a time.
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
            let path = "\(ZkPaths.configChanges)/\(child)"
            guard let fetched = try? await services.zk.zookeeper.getData(path),
                let entity = ConfigZNode.decodeChangeNotification(fetched.data, path: path)
            else { continue }
            let entityPath = entity.split(separator: "/").map(String.init)
            if let quotaEntity = ClientQuotaEntity(entityPath: entity) {
                let name = entityPath.dropFirst().joined(separator: "/")
                let config = (try? await services.zk.getEntityConfig(type: entityPath[0], name: name)) ?? [:]
                services.quotas.cache.update(quotaEntity, config: config)
                if entityPath.count == 2, entityPath[0] == "users", let user = Sanitizer.desanitize(entityPath[1]) {
                    services.scramCredentials.update(user: user, config: config)
                }
                services.logger.info("Applied a config change", metadata: ["entity": "\(entity)"])
                continue
            }
            guard entityPath.count == 2, entityPath[0] == "topics" else { continue }
            let topic = entityPath[1]
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
