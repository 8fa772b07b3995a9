import KafkaCore
import KafkaProtocol

/// DeleteTopics (20), versions 0-6: on the controller only; writes `/admin/delete_topics/<t>` and waits (up to the
/// request's timeout) until the topic is gone from the metadata. With an authorizer each topic needs Topic:Delete
/// (TOPIC_AUTHORIZATION_FAILED, whether it exists or not).
enum DeleteTopicsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DeleteTopicsRequest.self) { request, context in
            let isController = services.controller.isActive
            let names = context.apiVersion >= 6 ? request.topics.compactMap(\.name) : request.topicNames
            var results: [DeleteTopicsResponse.DeletableTopicResult] = []
            for name in names {
                var result = DeleteTopicsResponse.DeletableTopicResult(name: name)
                if !isController {
                    result.errorCode = KafkaErrorCode.notController
                } else if !services.authorizer.authorize(context, .delete, .topic, name) {
                    result.errorCode = KafkaErrorCode.topicAuthorizationFailed
                } else if !services.config.deleteTopicEnable {
                    result.errorCode = KafkaErrorCode.topicDeletionDisabled
                } else if services.metadataCache.partitions(of: name) == nil {
                    result.errorCode = KafkaErrorCode.unknownTopicOrPartition
                } else {
                    result.topicID = services.metadataCache.topicID(of: name) ?? .zero
                    do {
                        try await services.zk.requestTopicDeletion(name)
                        let deadline = ContinuousClock.now + .milliseconds(Int64(max(request.timeoutMs, 0)))
                        while services.metadataCache.partitions(of: name) != nil && ContinuousClock.now < deadline {
                            try await RequestWaitClock.parked { try await Task.sleep(for: .milliseconds(20)) }
                        }
                        if services.metadataCache.partitions(of: name) != nil {
                            result.errorCode = KafkaErrorCode.requestTimedOut
                        }
                    } catch {
                        result.errorCode = KafkaErrorCode.unknownServerError
                        result.errorMessage = "\(error)"
                    }
                }
                results.append(result)
            }
            return DeleteTopicsResponse(responses: results)
        }
    }
}
