import KafkaCore
import KafkaProtocol
import KafkaSecurity

/// What the config API handlers (`DescribeConfigsHandler`, `AlterConfigsHandler`, `IncrementalAlterConfigsHandler`)
/// share. They serve topics as Kafka
/// 2.8 in ZooKeeper mode handles them on any broker: overrides live in `/config/topics/<t>`, and every write is
/// announced in `/config/changes` so that every broker applies it to its logs. Broker resources can be described
/// (the static configuration); changing them at run time is not supported (INVALID_REQUEST). With an authorizer
/// describing needs DescribeConfigs and changing AlterConfigs (`authorizationError`).
enum ConfigsHandlers {
    static let topicResource: Int8 = 2
    static let brokerResource: Int8 = 4

    /// With an authorizer: a broker resource needs the operation on the cluster (CLUSTER_AUTHORIZATION_FAILED), a
    /// topic on the topic (TOPIC_AUTHORIZATION_FAILED). Nil when allowed.
    static func authorizationError(
        _ type: Int8,
        _ name: String,
        _ operation: AclOperation,
        _ context: RequestContext,
        _ services: BrokerServices
    ) -> KafkaErrorCode? {
        switch type {
        case topicResource:
            return services.authorizer.authorize(context, operation, .topic, name) ? nil : .topicAuthorizationFailed
        default:
            return services.authorizer.authorizeCluster(context, operation) ? nil : .clusterAuthorizationFailed
        }
    }

    /// Authorizes, validates and writes a topic's new overrides (computed from the current ones by `change`).
    static func alter(
        _ type: Int8,
        _ name: String,
        validateOnly: Bool,
        _ context: RequestContext,
        _ services: BrokerServices,
        _ change: ([String: String]) -> [String: String]
    ) async -> (KafkaErrorCode, String?) {
        if let error = authorizationError(type, name, .alterConfigs, context, services) {
            return (error, "Authorization failed.")
        }
        guard type == topicResource else {
            return (.invalidRequest, "Changing broker configs at run time is not supported; edit server.properties")
        }
        guard services.metadataCache.partitions(of: name) != nil else {
            return (.unknownTopicOrPartition, "Topic \(name) does not exist.")
        }
        do {
            let current = try await services.zk.getEntityConfig(type: "topics", name: name)
            let updated = change(current)
            // A mirror stays a mirror and an ordinary topic stays ordinary: promotion is not built, and a log made
            // here cannot become the source's copy.
            if (updated["mirror.link"] ?? "") != (current["mirror.link"] ?? "") {
                return (.invalidConfig, "mirror.link is set when a topic is created and cannot be changed")
            }
            do {
                _ = try TopicConfig.apply(updated, to: services.config.logConfig)
            } catch {
                return (.invalidConfig, "\(error)")
            }
            if !validateOnly { try await services.zk.setEntityConfig(type: "topics", name: name, config: updated) }
            return (.none, nil)
        } catch {
            return (.unknownServerError, "\(error)")
        }
    }
}
