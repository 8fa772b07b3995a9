import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetDelete (47): removes a group's committed offsets of partitions it no longer consumes.
enum OffsetDeleteHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetDeleteRequest.self) { request, _ in
            if let error = GroupHandlers.check(request.groupID, services) {
                return OffsetDeleteResponse(errorCode: error)
            }
            let partitions = request.topics.flatMap { topic in
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
                                    errorCode: results[TopicPartition(topic.name, $0.partitionIndex)]
                                        ?? KafkaErrorCode.none
                                )
                            }
                        )
                    }
            )
        }
    }
}
