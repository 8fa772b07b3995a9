import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// TxnOffsetCommit (28), versions 0-3: a transactional producer's offsets for a group (`send_offsets_to_transaction`),
/// sent to the group's coordinator after AddOffsetsToTxn; they count when the transaction commits
/// (`GroupCoordinator.commitTransactionalOffsets`). Every partition carries the one answer. A fenced producer is
/// PRODUCER_FENCED from v3 (INVALID_PRODUCER_EPOCH before); below v2 COORDINATOR_LOAD_IN_PROGRESS is
/// COORDINATOR_NOT_AVAILABLE, as in Kafka. With an authorizer: TransactionalId:Write, Group:Read, Topic:Read per
/// topic (a denied topic's partitions TOPIC_AUTHORIZATION_FAILED, the others not attempted).
enum TxnOffsetCommitHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(TxnOffsetCommitRequest.self) { request, context in
            var code: KafkaErrorCode
            let authorizer = services.authorizer
            let readable = authorizer.authorizedNames(context, .read, .topic, request.topics.map(\.name))
            if !authorizer.authorize(context, .write, .transactionalID, request.transactionalID) {
                code = .transactionalIDAuthorizationFailed
            } else if !authorizer.authorize(context, .read, .group, request.groupID) {
                code = .groupAuthorizationFailed
            } else if request.topics.contains(where: { !readable.contains($0.name) }) {
                code = .topicAuthorizationFailed
            } else if let error = GroupHandlers.check(request.groupID, services) {
                code = error
            } else {
                let now = services.clock.milliseconds
                var offsets: [TopicPartition: CommittedOffset] = [:]
                for topic in request.topics {
                    for partition in topic.partitions {
                        offsets[TopicPartition(topic.name, partition.partitionIndex)] = CommittedOffset(
                            offset: partition.committedOffset,
                            leaderEpoch: partition.committedLeaderEpoch,
                            metadata: partition.committedMetadata ?? "",
                            commitTimestamp: now
                        )
                    }
                }
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
            if code == .producerFenced && context.apiVersion < 3 { code = .invalidProducerEpoch }
            if code == .coordinatorLoadInProgress && context.apiVersion < 2 { code = .coordinatorNotAvailable }
            return TxnOffsetCommitResponse(
                topics: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            .init(
                                partitionIndex: $0.partitionIndex,
                                errorCode: code == .topicAuthorizationFailed && readable.contains(topic.name)
                                    ? .operationNotAttempted : code
                            )
                        }
                    )
                }
            )
        }
    }
}
