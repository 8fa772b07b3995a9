import Foundation
import KafkaCore
import KafkaProtocol

/// ListOffsets (2), versions 0-6: -2 earliest (log start offset), -1 latest (the high watermark; the last stable
/// offset for read_committed, v2+), -3 the offset of the largest timestamp (v7, KIP-734), otherwise the first offset
/// whose timestamp is at or after the one asked — each below the same bound.
/// Version 0 answers Kafka's old way instead: up to `max_num_offsets` segment boundaries as `old_style_offsets`.
/// With an authorizer each topic needs Topic:Describe (TOPIC_AUTHORIZATION_FAILED).
enum ListOffsetsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ListOffsetsRequest.self) { request, context in
            let described = services.authorizer.authorizedNames(
                context,
                .describe,
                .topic,
                request.topics.lazy.map(\.name)
            )
            return ListOffsetsResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { partition in
                            let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                            guard described.contains(topic.name) else {
                                return .init(
                                    partitionIndex: partition.partitionIndex,
                                    errorCode: .topicAuthorizationFailed
                                )
                            }
                            if context.apiVersion == 0 {
                                return legacyAnswer(
                                    topicPartition,
                                    timestamp: partition.timestamp,
                                    maxNumOffsets: partition.maxNumOffsets,
                                    fromConsumer: request.replicaID == -1,
                                    services
                                )
                            }
                            return answer(
                                topicPartition,
                                timestamp: partition.timestamp,
                                readCommitted: context.apiVersion >= 2 && request.isolationLevel == 1,
                                services
                            )
                        }
                    )
                }
            )
        }
    }

    /// Version 0 (Kafka's `handleListOffsetRequestV0`): the leader's segment boundaries before `timestamp`, newest
    /// first; a consumer (replica id -1) sees none above the high watermark, which takes their place.
    static func legacyAnswer(
        _ topicPartition: TopicPartition,
        timestamp: Int64,
        maxNumOffsets: Int32,
        fromConsumer: Bool,
        _ services: BrokerServices
    ) -> ListOffsetsResponse.ListOffsetsPartitionResponse {
        var response = ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: topicPartition.partition)
        guard let partition = services.replicaManager.partition(topicPartition) else {
            response.errorCode = KafkaErrorCode.unknownTopicOrPartition
            return response
        }
        guard partition.isLeader else {
            response.errorCode = KafkaErrorCode.notLeaderOrFollower
            return response
        }
        var offsets = partition.log.legacyOffsets(
            before: timestamp,
            maxNumOffsets: maxNumOffsets,
            now: Int64(Date().timeIntervalSince1970 * 1000)
        )
        let highWatermark = partition.highWatermark
        if fromConsumer && offsets.contains(where: { $0 > highWatermark }) {
            offsets = [highWatermark] + offsets.drop { $0 > highWatermark }
        }
        response.oldStyleOffsets = offsets
        return response
    }

    static func answer(
        _ topicPartition: TopicPartition,
        timestamp: Int64,
        readCommitted: Bool = false,
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
        // Kafka's bound for consumers: what they can read.
        let highWatermark = readCommitted ? partition.lastStableOffset : partition.highWatermark
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
