import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetDelete (47): removes a group's committed offsets of partitions it no longer consumes. With an
/// authorizer: Group:Delete (GROUP_AUTHORIZATION_FAILED), then Topic:Read per topic (TOPIC_AUTHORIZATION_FAILED).
enum OffsetDeleteHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetDeleteRequest.self) { request, context in
            guard services.authorizer.authorize(context, .delete, .group, request.groupID) else {
                return OffsetDeleteResponse(errorCode: .groupAuthorizationFailed)
            }
            if let error = GroupHandlers.check(request.groupID, services) {
                return OffsetDeleteResponse(errorCode: error)
            }
            let readable = services.authorizer.authorizedNames(context, .read, .topic, request.topics.map(\.name))
            let partitions = request.topics.filter { readable.contains($0.name) }.flatMap { topic in
                topic.partitions.map { TopicPartition(topic.name, $0.partitionIndex) }
            }
            let (error, results) = await services.groupCoordinator.deleteOffsets(
                groupID: request.groupID,
                partitions: partitions
            )
            return OffsetDeleteResponse(
                errorCode: error,
                topics: error != .none
                    ? []
                    : request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map {
                                .init(
                                    partitionIndex: $0.partitionIndex,
                                    errorCode: !readable.contains(topic.name)
                                        ? .topicAuthorizationFailed
                                        : results[TopicPartition(topic.name, $0.partitionIndex)] ?? KafkaErrorCode.none
                                )
                            }
                        )
                    }
            )
        }
    }
}
