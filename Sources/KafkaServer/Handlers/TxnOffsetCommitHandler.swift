import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// TxnOffsetCommit (28), versions 0-3: a transactional producer's offsets for a group (`send_offsets_to_transaction`),
/// sent to the group's coordinator after AddOffsetsToTxn; they count when the transaction commits
/// (`GroupCoordinator.commitTransactionalOffsets`). Every partition carries the one answer. A fenced producer is
/// PRODUCER_FENCED from v3 (INVALID_PRODUCER_EPOCH before); below v2 COORDINATOR_LOAD_IN_PROGRESS is
/// COORDINATOR_NOT_AVAILABLE, as in Kafka. With an authorizer: TransactionalId:Write and Group:Read refuse the whole
/// request; as in Kafka 2.8, the partitions of a topic without Topic:Read are TOPIC_AUTHORIZATION_FAILED, those of a
/// topic the cluster does not have UNKNOWN_TOPIC_OR_PARTITION, and the rest are committed.
enum TxnOffsetCommitHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(TxnOffsetCommitRequest.self) { request, context in
            let authorizer = services.authorizer
            let readable = authorizer.authorizedNames(context, .read, .topic, request.topics.map(\.name))
            var refused: [TopicPartition: KafkaErrorCode] = [:]
            var code: KafkaErrorCode
            if !authorizer.authorize(context, .write, .transactionalID, request.transactionalID) {
                code = .transactionalIDAuthorizationFailed
            } else if !authorizer.authorize(context, .read, .group, request.groupID) {
                code = .groupAuthorizationFailed
            } else {
                let now = services.clock.milliseconds
                var offsets: [TopicPartition: CommittedOffset] = [:]
                for topic in request.topics {
                    let known = services.metadataCache.partitions(of: topic.name)
                    for partition in topic.partitions {
                        let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                        if !readable.contains(topic.name) {
                            refused[topicPartition] = .topicAuthorizationFailed
                        } else if known?[partition.partitionIndex] == nil {
                            refused[topicPartition] = .unknownTopicOrPartition
                        } else {
                            offsets[topicPartition] = CommittedOffset(
                                offset: partition.committedOffset,
                                leaderEpoch: partition.committedLeaderEpoch,
                                metadata: partition.committedMetadata ?? "",
                                commitTimestamp: now
                            )
                        }
                    }
                }
                if let error = GroupHandlers.check(request.groupID, services) {
                    code = error
                } else if offsets.isEmpty {
                    code = .none
                } else {
                    code = await services.groupCoordinator.commitTransactionalOffsets(
                        groupID: request.groupID,
                        producerID: request.producerID,
                        producerEpoch: request.producerEpoch,
                        generationID: request.generationID,
                        memberID: request.memberID,
                        groupInstanceID: request.groupInstanceID,
                        offsets: offsets
                    )
                }
            }
            if code == .producerFenced && context.apiVersion < 3 { code = .invalidProducerEpoch }
            if code == .coordinatorLoadInProgress && context.apiVersion < 2 { code = .coordinatorNotAvailable }
            return TxnOffsetCommitResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            .init(
                                partitionIndex: $0.partitionIndex,
                                errorCode: refused[TopicPartition(topic.name, $0.partitionIndex)] ?? code
                            )
                        }
                    )
                }
            )
        }
    }
}
