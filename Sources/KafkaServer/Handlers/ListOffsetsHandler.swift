import KafkaCore
import KafkaProtocol

/// ListOffsets (2), versions 1-7: -2 earliest (log start offset), -1 latest (the high watermark), -3 the offset
/// of the largest timestamp (v7, KIP-734), otherwise the first offset whose timestamp is at or after the one asked.
enum ListOffsetsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ListOffsetsRequest.self) { request, _ in
            ListOffsetsResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { partition in
                            answer(
                                TopicPartition(topic.name, partition.partitionIndex),
                                timestamp: partition.timestamp,
                                services
                            )
                        }
                    )
                }
            )
        }
    }

    static func answer(
        _ topicPartition: TopicPartition,
        timestamp: Int64,
        _ services: BrokerServices
    )
        -> ListOffsetsResponse.ListOffsetsPartitionResponse
    {
        var response = ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: topicPartition.partition)
        guard let partition = services.replicaManager.partition(topicPartition) else {
            response.errorCode = KafkaErrorCode.unknownTopicOrPartition
            return response
        }
        guard partition.isLeader else {
            response.errorCode = KafkaErrorCode.notLeaderOrFollower
            return response
        }
        let highWatermark = partition.highWatermark
        response.leaderEpoch = partition.current.leaderEpoch
        switch timestamp {
        case -2:
            response.offset = partition.log.logStartOffset
            response.timestamp = -1
        case -1:
            response.offset = highWatermark
            response.timestamp = -1
        case -3:
            let (maxTimestamp, offset) = partition.log.maxTimestampAndOffset
            response.offset = offset < highWatermark ? offset : -1
            response.timestamp = offset < highWatermark ? maxTimestamp : -1
        default:
            do {
                if let found = try partition.log.offset(forTimestamp: timestamp), found.offset < highWatermark {
                    response.offset = found.offset
                    response.timestamp = found.timestamp
                } else {
                    response.offset = -1
                    response.timestamp = -1
                }
            } catch {
                response.errorCode = error.errorCode
            }
        }
        return response
    }
}
