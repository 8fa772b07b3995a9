import KafkaCore
import KafkaProtocol

/// DeleteRecords (21), versions 0-2 (KIP-107, `kafka-delete-records`, admin clients' `delete_records`): on each
/// partition's leader, the log start offset moves to the requested offset (-1: the high watermark); the answer
/// waits, up to the request's timeout, until the in-sync followers have moved theirs (the low watermark). Per
/// partition: OFFSET_OUT_OF_RANGE past the high watermark, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
/// REQUEST_TIMED_OUT. Segments wholly below the new start go at the next retention pass. With an authorizer each
/// topic needs Topic:Delete (TOPIC_AUTHORIZATION_FAILED).
enum DeleteRecordsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DeleteRecordsRequest.self) { request, context in
            let deadline = ContinuousClock.now + .milliseconds(Int64(max(request.timeoutMs, 0)))
            let deletable = services.authorizer.authorizedNames(context, .delete, .topic, request.topics.map(\.name))
            // Every partition at once: the deletions are made together and their waits overlap.
            let results = await withTaskGroup(
                of: (TopicPartition, KafkaErrorCode, Int64).self,
                returning: [TopicPartition: (KafkaErrorCode, Int64)].self
            ) { group in
                for topic in request.topics where deletable.contains(topic.name) {
                    for partition in topic.partitions {
                        let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                        group.addTask {
                            let (error, lowWatermark) = await services.replicaManager.deleteRecords(
                                topicPartition,
                                before: partition.offset,
                                deadline: deadline
                            )
                            return (topicPartition, error, lowWatermark)
                        }
                    }
                }
                var results: [TopicPartition: (KafkaErrorCode, Int64)] = [:]
                for await (topicPartition, error, lowWatermark) in group {
                    results[topicPartition] = (error, lowWatermark)
                }
                return results
            }
            return DeleteRecordsResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { partition in
                            let (error, lowWatermark) =
                                !deletable.contains(topic.name)
                                ? (.topicAuthorizationFailed, -1)
                                : results[TopicPartition(topic.name, partition.partitionIndex)] ?? (
                                    .unknownServerError, -1
                                )
                            return .init(
                                partitionIndex: partition.partitionIndex,
                                lowWatermark: lowWatermark,
                                errorCode: error
                            )
                        }
                    )
                }
            )
        }
    }
}
