import KafkaCore
import KafkaProtocol

/// DescribeProducers (61), version 0 (KIP-664, `kafka-transactions describe-producers` and `find-hanging`): the
/// producers a partition's leader keeps state for — epoch, last sequence and timestamp, the coordinator epoch of its
/// last marker, and the first offset of its open transaction (-1: none). NOT_LEADER_OR_FOLLOWER on another replica,
/// UNKNOWN_TOPIC_OR_PARTITION for a partition this broker does not host. With an authorizer each topic needs
/// Topic:Read (TOPIC_AUTHORIZATION_FAILED).
enum DescribeProducersHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeProducersRequest.self) { request, context in
            let readable = services.authorizer.authorizedNames(context, .read, .topic, request.topics.map(\.name))
            return DescribeProducersResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitionIndexes.map { index in
                            guard readable.contains(topic.name) else {
                                return .init(partitionIndex: index, errorCode: .topicAuthorizationFailed)
                            }
                            guard let partition = services.replicaManager.partition(TopicPartition(topic.name, index))
                            else { return .init(partitionIndex: index, errorCode: .unknownTopicOrPartition) }
                            guard partition.isLeader else {
                                return .init(partitionIndex: index, errorCode: .notLeaderOrFollower)
                            }
                            return .init(
                                partitionIndex: index,
                                errorCode: .none,
                                activeProducers: partition.activeProducers.map { producer in
                                    .init(
                                        producerID: producer.producerID,
                                        producerEpoch: Int32(producer.epoch),
                                        lastSequence: producer.lastSequence,
                                        lastTimestamp: producer.timestamp,
                                        coordinatorEpoch: producer.coordinatorEpoch,
                                        currentTxnStartOffset: producer.currentTransactionFirstOffset ?? -1
                                    )
                                }
                            )
                        }
                    )
                }
            )
        }
    }
}
