import KafkaCore
import KafkaProtocol

/// CreateTopics (19), versions 0-7 (v0 has no validate_only, v0-1 no error message): on the controller only (NOT_CONTROLLER elsewhere, as in Kafka 2.8). Validates
/// names, counts, factors and configs; `validateOnly` writes nothing; otherwise writes ZooKeeper and waits (up to the
/// request's timeout) until the new partitions have leaders. With an authorizer: Cluster:Create, or Topic:Create
/// per topic (TOPIC_AUTHORIZATION_FAILED).
enum CreateTopicsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(CreateTopicsRequest.self) { request, context in
            let isController = services.controller.isActive
            let mayCreateAny = services.authorizer.authorizeCluster(context, .create, logIfDenied: false)
            var results: [CreateTopicsResponse.CreatableTopicResult] = []
            for topic in request.topics {
                var result = CreateTopicsResponse.CreatableTopicResult(name: topic.name)
                guard isController else {
                    result.errorCode = KafkaErrorCode.notController
                    results.append(result)
                    continue
                }
                guard mayCreateAny || services.authorizer.authorize(context, .create, .topic, topic.name) else {
                    result.errorCode = .topicAuthorizationFailed
                    result.errorMessage = "Authorization failed."
                    results.append(result)
                    continue
                }
                let configs = Dictionary(
                    topic.configs.compactMap { config in config.value.map { (config.name, $0) } },
                    uniquingKeysWith: { _, last in last }
                )
                let manual = Dictionary(
                    topic.assignments.map { ($0.partitionIndex, $0.brokerIDs) },
                    uniquingKeysWith: { _, last in last }
                )
                do throws(TopicCreator.Failure) {
                    let creator = TopicCreator(services: services)
                    let (partitions, factor) = try await creator.create(
                        topic.name,
                        partitions: topic.numPartitions,
                        replicationFactor: topic.replicationFactor,
                        configs: configs,
                        manualAssignment: manual,
                        validateOnly: request.validateOnly
                    )
                    result.numPartitions = partitions
                    result.replicationFactor = factor
                    if !request.validateOnly {
                        let ready = await creator.waitForLeaders(
                            topic.name,
                            partitions: partitions,
                            timeout: .milliseconds(Int64(max(request.timeoutMs, 0)))
                        )
                        if !ready { result.errorCode = KafkaErrorCode.requestTimedOut }
                        result.topicID = services.metadataCache.topicID(of: topic.name) ?? .zero
                    }
                } catch {
                    result.errorCode = error.code
                    result.errorMessage = error.message
                }
                results.append(result)
            }
            return CreateTopicsResponse(topics: results)
        }
    }
}
