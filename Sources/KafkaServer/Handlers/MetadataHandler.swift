import KafkaCore
import KafkaProtocol

/// Metadata (3), versions 0-11: brokers with the endpoint of the listener the request came on, the cluster id,
/// the live controller, and the requested topics (all topics for a null list, or an empty one before v1). An
/// unknown topic is created when `auto.create.topics.enable` is on and the request allows it (v4+), and answered
/// LEADER_NOT_AVAILABLE until its leaders are elected. Leader epochs are reported as -1: OffsetForLeaderEpoch is
/// not served yet, so clients skip KIP-320 validation. With an authorizer a named topic needs Topic:Describe
/// (TOPIC_AUTHORIZATION_FAILED, whether it exists or not), an all-topics request lists only those the principal
/// may describe, and auto-creation needs Cluster:Create or Topic:Create.
enum MetadataHandler {
    static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state"]

    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(MetadataRequest.self) { request, context in
            let cache = services.metadataCache
            let allTopics = request.topics == nil || (context.apiVersion == 0 && request.topics?.isEmpty == true)
            let authorizer = services.authorizer
            let requested = allTopics ? cache.topicNames : (request.topics ?? []).compactMap(\.name)
            // Every topic: the ones the principal may not describe are left out quietly; named ones are refused.
            let described = authorizer.authorizedNames(context, .describe, .topic, requested, logIfDenied: !allTopics)
            let names = allTopics ? requested.filter { described.contains($0) } : requested
            let autoCreate =
                services.config.autoCreateTopicsEnable && (context.apiVersion < 4 || request.allowAutoTopicCreation)
            let mayCreateAny = autoCreate && authorizer.authorizeCluster(context, .create, logIfDenied: false)
            var topics: [MetadataResponse.MetadataResponseTopic] = []
            for name in names {
                guard described.contains(name) else {
                    topics.append(.init(errorCode: .topicAuthorizationFailed, name: name, isInternal: false))
                    continue
                }
                guard let partitions = cache.partitions(of: name) else {
                    var code = KafkaErrorCode.unknownTopicOrPartition
                    if autoCreate && !mayCreateAny && !authorizer.authorize(context, .create, .topic, name) {
                        code = .topicAuthorizationFailed
                    } else if autoCreate && !internalTopics.contains(name) {
                        do throws(TopicCreator.Failure) {
                            try await TopicCreator(services: services).create(
                                name,
                                partitions: -1,
                                replicationFactor: -1,
                                configs: [:]
                            )
                            code = .leaderNotAvailable
                        } catch {
                            code = error.code == .topicAlreadyExists ? .leaderNotAvailable : error.code
                        }
                    }
                    topics.append(.init(errorCode: code, name: name, isInternal: false))
                    continue
                }
                topics.append(
                    .init(
                        errorCode: .none,
                        name: name,
                        topicID: cache.topicID(of: name) ?? .zero,
                        isInternal: internalTopics.contains(name),
                        partitions: partitions.sorted { $0.key < $1.key }.map { index, info in
                            .init(
                                errorCode: info.leader < 0 ? KafkaErrorCode.leaderNotAvailable : .none,
                                partitionIndex: index,
                                leaderID: info.leader,
                                leaderEpoch: info.leaderEpoch,
                                replicaNodes: info.replicas,
                                isrNodes: info.isr,
                                offlineReplicas: info.offlineReplicas
                            )
                        }
                    )
                )
            }
            var brokers = cache.liveBrokers.compactMap { broker -> MetadataResponse.MetadataResponseBroker? in
                guard let endpoint = broker.endpoints[context.listenerName] else { return nil }
                return .init(nodeID: broker.id, host: endpoint.host, port: endpoint.port, rack: broker.rack)
            }
            // Before the controller's first UpdateMetadata arrives, answer from ZooKeeper rather than with no brokers
            // and no controller: librdkafka's admin client would otherwise wait minutes for its next refresh.
            if brokers.isEmpty {
                brokers = ((try? await services.zk.getAllBrokers()) ?? []).compactMap { broker in
                    guard let endpoint = broker.endpoints.first(where: { $0.listenerName == context.listenerName })
                    else {
                        return nil
                    }
                    return .init(nodeID: broker.id, host: endpoint.host, port: endpoint.port, rack: broker.rack)
                }
            }
            var controllerID = cache.controllerID
            if controllerID == nil { controllerID = try? await services.zk.getControllerID() }
            return MetadataResponse(
                brokers: brokers,
                clusterID: cache.clusterID,
                controllerID: controllerID ?? -1,
                topics: topics
            )
        }
    }
}
