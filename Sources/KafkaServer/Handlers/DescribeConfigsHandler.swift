import KafkaCore
import KafkaProtocol

/// DescribeConfigs (32): a topic's effective configuration with each value's source (topic override, static broker
/// setting, default) and synonyms, or a broker's configuration. See `ConfigsHandlers` for where overrides live.
enum DescribeConfigsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeConfigsRequest.self) { request, context in
            let overrides = await topicOverrides(request, services)
            var results: [DescribeConfigsResponse.DescribeConfigsResult] = []
            for resource in request.resources {
                var result = DescribeConfigsResponse.DescribeConfigsResult(
                    resourceType: resource.resourceType,
                    resourceName: resource.resourceName
                )
                if let error = ConfigsHandlers.authorizationError(
                    resource.resourceType,
                    resource.resourceName,
                    .describeConfigs,
                    context,
                    services
                ) {
                    result.errorCode = error
                    result.errorMessage = "Authorization failed."
                    results.append(result)
                    continue
                }
                switch resource.resourceType {
                case ConfigsHandlers.topicResource
                where services.metadataCache.partitions(of: resource.resourceName) != nil:
                    result.configs = TopicConfig.describe(
                        overrides[resource.resourceName] ?? [:],
                        broker: services.config
                    )
                    .filter { resource.configurationKeys?.contains($0.name) ?? true }
                    .map {
                        .init(
                            name: $0.name,
                            value: $0.value,
                            readOnly: false,
                            isDefault: $0.source == .defaultConfig,
                            configSource: $0.source.rawValue
                        )
                    }
                case ConfigsHandlers.topicResource:
                    result.errorCode = KafkaErrorCode.unknownTopicOrPartition
                    result.errorMessage = "Topic \(resource.resourceName) does not exist."
                case ConfigsHandlers.brokerResource
                where resource.resourceName == "" || resource.resourceName == "\(services.brokerID)":
                    var values = services.config.effectiveValues
                    if let index = values.firstIndex(where: { $0.key == "broker.id" }) {
                        values[index].value = "\(services.brokerID)"  // as settled at startup
                    }
                    // A value equal to Kafka's default is DEFAULT_CONFIG, anything else came from server.properties.
                    let defaults = Dictionary(
                        BrokerConfig().effectiveValues.map { ($0.key, $0.value) },
                        uniquingKeysWith: { first, _ in first }
                    )
                    result.configs = values.filter { resource.configurationKeys?.contains($0.key) ?? true }.map {
                        let isDefault = defaults[$0.key] == $0.value
                        // Passwords are never sent: a null value marked sensitive, as Kafka describes them.
                        let isSensitive = ConfigTable.brokerKeys[$0.key]?.isSensitive ?? false
                        return .init(
                            name: $0.key,
                            value: isSensitive ? nil : $0.value,
                            readOnly: true,
                            isDefault: isDefault,
                            configSource: (isDefault
                                ? TopicConfig.Source.defaultConfig : TopicConfig.Source.staticBrokerConfig).rawValue,
                            isSensitive: isSensitive
                        )
                    }
                default:
                    result.errorCode = KafkaErrorCode.invalidRequest
                    result.errorMessage =
                        "Unsupported resource type \(resource.resourceType) \(resource.resourceName)"
                }
                results.append(result)
            }
            return DescribeConfigsResponse(results: results)
        }
    }

    /// The ZooKeeper overrides (`/config/topics/<t>`) of every existing topic the request names, read 32 at a time
    /// on the broker's session (one request for a thousand topics costs a few round trips, not a thousand).
    static func topicOverrides(
        _ request: DescribeConfigsRequest,
        _ services: BrokerServices
    ) async -> [String: [String: String]] {
        let topics = Set(
            request.resources.filter {
                $0.resourceType == ConfigsHandlers.topicResource
                    && services.metadataCache.partitions(of: $0.resourceName) != nil
            }.map(\.resourceName)
        ).sorted()
        let zk = services.zk
        return await withTaskGroup(of: (String, [String: String]).self) { group in
            var found: [String: [String: String]] = [:]
            var next = topics.makeIterator()
            func add(_ group: inout TaskGroup<(String, [String: String])>) {
                guard let topic = next.next() else { return }
                group.addTask { (topic, (try? await zk.getEntityConfig(type: "topics", name: topic)) ?? [:]) }
            }
            for _ in 0..<32 { add(&group) }
            for await (topic, config) in group {
                found[topic] = config
                add(&group)
            }
            return found
        }
    }
}
