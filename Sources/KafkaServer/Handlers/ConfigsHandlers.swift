import KafkaCore
import KafkaProtocol

/// DescribeConfigs (32, v1-4), AlterConfigs (33, v0-2) and IncrementalAlterConfigs (44, v0-1) for topics, as Kafka
/// 2.8 in ZooKeeper mode handles them on any broker: overrides live in `/config/topics/<t>`, and every write is
/// announced in `/config/changes` so that every broker applies it to its logs. Broker resources can be described
/// (the static configuration); changing them at run time is not supported (INVALID_REQUEST).
enum ConfigsHandlers {
    static let topicResource: Int8 = 2
    static let brokerResource: Int8 = 4

    static func make(_ services: BrokerServices) -> [any RequestHandler] {
        [
            TypedHandler(DescribeConfigsRequest.self, versions: 1...4) { request, _ in
                var results: [DescribeConfigsResponse.DescribeConfigsResult] = []
                for resource in request.resources {
                    var result = DescribeConfigsResponse.DescribeConfigsResult(
                        resourceType: resource.resourceType,
                        resourceName: resource.resourceName
                    )
                    switch resource.resourceType {
                    case topicResource where services.metadataCache.partitions(of: resource.resourceName) != nil:
                        let overrides =
                            (try? await services.zk.getEntityConfig(type: "topics", name: resource.resourceName)) ?? [:]
                        result.configs = TopicConfig.describe(overrides, defaults: services.config.logConfig)
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
                    case topicResource:
                        result.errorCode = KafkaErrorCode.unknownTopicOrPartition.rawValue
                        result.errorMessage = "Topic \(resource.resourceName) does not exist."
                    case brokerResource
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
                            return .init(
                                name: $0.key,
                                value: $0.value,
                                readOnly: true,
                                isDefault: isDefault,
                                configSource: (isDefault
                                    ? TopicConfig.Source.defaultConfig : TopicConfig.Source.staticBrokerConfig).rawValue
                            )
                        }
                    default:
                        result.errorCode = KafkaErrorCode.invalidRequest.rawValue
                        result.errorMessage =
                            "Unsupported resource type \(resource.resourceType) \(resource.resourceName)"
                    }
                    results.append(result)
                }
                return DescribeConfigsResponse(results: results)
            },
            TypedHandler(AlterConfigsRequest.self, versions: 0...2) { request, _ in
                var responses: [AlterConfigsResponse.AlterConfigsResourceResponse] = []
                for resource in request.resources {
                    let configs = Dictionary(
                        resource.configs.compactMap { config in config.value.map { (config.name, $0) } },
                        uniquingKeysWith: { _, last in last }
                    )
                    let (code, message) = await alter(
                        resource.resourceType,
                        resource.resourceName,
                        validateOnly: request.validateOnly,
                        services
                    ) { _ in configs }
                    responses.append(
                        .init(
                            errorCode: code.rawValue,
                            errorMessage: message,
                            resourceType: resource.resourceType,
                            resourceName: resource.resourceName
                        )
                    )
                }
                return AlterConfigsResponse(responses: responses)
            },
            TypedHandler(IncrementalAlterConfigsRequest.self, versions: 0...1) { request, _ in
                var responses: [IncrementalAlterConfigsResponse.AlterConfigsResourceResponse] = []
                for resource in request.resources {
                    let (code, message) = await alter(
                        resource.resourceType,
                        resource.resourceName,
                        validateOnly: request.validateOnly,
                        services
                    ) { current in
                        var configs = current
                        for change in resource.configs {
                            let list = (configs[change.name] ?? "").split(separator: ",").map(String.init).filter {
                                !$0.isEmpty
                            }
                            switch change.configOperation {
                            case 0: configs[change.name] = change.value
                            case 1: configs.removeValue(forKey: change.name)
                            case 2:
                                configs[change.name] = (list + [change.value ?? ""].filter { !list.contains($0) })
                                    .joined(separator: ",")
                            case 3: configs[change.name] = list.filter { $0 != change.value }.joined(separator: ",")
                            default: break
                            }
                        }
                        return configs
                    }
                    responses.append(
                        .init(
                            errorCode: code.rawValue,
                            errorMessage: message,
                            resourceType: resource.resourceType,
                            resourceName: resource.resourceName
                        )
                    )
                }
                return IncrementalAlterConfigsResponse(responses: responses)
            },
        ]
    }

    /// Validates and writes a topic's new overrides (computed from the current ones by `change`).
    static func alter(
        _ type: Int8,
        _ name: String,
        validateOnly: Bool,
        _ services: BrokerServices,
        _ change: ([String: String]) -> [String: String]
    ) async -> (KafkaErrorCode, String?) {
        guard type == topicResource else {
            return (.invalidRequest, "Changing broker configs at run time is not supported; edit server.properties")
        }
        guard services.metadataCache.partitions(of: name) != nil else {
            return (.unknownTopicOrPartition, "Topic \(name) does not exist.")
        }
        do {
            let current = try await services.zk.getEntityConfig(type: "topics", name: name)
            let updated = change(current)
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
