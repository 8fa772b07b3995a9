import KafkaCore
import KafkaProtocol

/// OffsetForLeaderEpoch (23), advertised 0-3 as Kafka 2.8 does: followers ask it before fetching, and
/// consumers that know leader epochs (KIP-320) ask it to detect truncation.
enum OffsetForLeaderEpochHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetForLeaderEpochRequest.self) { request, _ in
            OffsetForLeaderEpochResponse(
                topics: request.topics.map { topic in
                    .init(
                        topic: topic.topic,
                        partitions: topic.partitions.map { partition in
                            let answer = services.replicaManager.endOffset(
                                TopicPartition(topic.topic, partition.partition),
                                currentLeaderEpoch: partition.currentLeaderEpoch,
                                leaderEpoch: partition.leaderEpoch
                            )
                            return .init(
                                errorCode: answer.errorCode,
                                partition: partition.partition,
                                leaderEpoch: answer.leaderEpoch,
                                endOffset: answer.endOffset
                            )
                        }
                    )
                }
            )
        }
    }
}
