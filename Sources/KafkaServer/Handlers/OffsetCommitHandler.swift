import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetCommit (8): committed offsets go to the broker's offset store (`offsets.storage`); v0 always to ZooKeeper,
/// as in Kafka. Commits outside any generation (generation -1, no member) are the admin tools' resets. A partition
/// the metadata cache does not know is answered UNKNOWN_TOPIC_OR_PARTITION and nothing is stored for it, in both
/// modes (Kafka's `handleOffsetCommitRequest`); a request with no known partition does not reach the coordinator.
/// With an authorizer: Group:Read (else GROUP_AUTHORIZATION_FAILED for all), then Topic:Read per topic.
enum OffsetCommitHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetCommitRequest.self) { request, context in
            func answer(_ code: (TopicPartition) -> KafkaErrorCode) -> OffsetCommitResponse {
                OffsetCommitResponse(
                    topics: request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map {
                                .init(
                                    partitionIndex: $0.partitionIndex,
                                    errorCode: code(TopicPartition(topic.name, $0.partitionIndex))
                                )
                            }
                        )
                    }
                )
            }
            let authorizer = services.authorizer
            guard authorizer.authorize(context, .read, .group, request.groupID) else {
                return answer { _ in .groupAuthorizationFailed }
            }
            let readable = authorizer.authorizedNames(context, .read, .topic, request.topics.map(\.name))
            // One pass sorts the partitions: not authorized, unknown to the metadata cache, metadata too large, or
            // to store. v0's ZooKeeper store keeps only the offset.
            var denied: Set<TopicPartition> = []
            var unknown: Set<TopicPartition> = []
            var tooLarge: Set<TopicPartition> = []
            var offsets: [TopicPartition: CommittedOffset] = [:]
            let now = services.clock.milliseconds
            for topic in request.topics {
                for partition in topic.partitions {
                    let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                    if !readable.contains(topic.name) {
                        denied.insert(topicPartition)
                    } else if services.metadataCache.partition(topicPartition) == nil {
                        unknown.insert(topicPartition)
                    } else if (partition.committedMetadata?.utf8.count ?? 0) > services.config.offsetMetadataMaxBytes {
                        tooLarge.insert(topicPartition)
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
            func answer(storing outcome: KafkaErrorCode) -> OffsetCommitResponse {
                answer {
                    denied.contains($0)
                        ? .topicAuthorizationFailed
                        : unknown.contains($0)
                            ? .unknownTopicOrPartition : tooLarge.contains($0) ? .offsetMetadataTooLarge : outcome
                }
            }
            // v0 writes to ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                guard !request.groupID.isEmpty else { return answer { _ in .invalidGroupID } }
                guard !offsets.isEmpty else { return answer(storing: .none) }
                do {
                    try await ZooKeeperOffsetStore(zk: services.zk).commit(group: request.groupID, offsets: offsets)
                    return answer(storing: .none)
                } catch {
                    services.logger.error("OffsetCommit v0 to ZooKeeper failed: \(error)")
                    return answer(storing: .unknownServerError)
                }
            }
            guard !offsets.isEmpty || !tooLarge.isEmpty else { return answer(storing: .none) }
            if let error = GroupHandlers.check(request.groupID, services) { return answer(storing: error) }
            return answer(
                storing: await services.groupCoordinator.commitOffsets(
                    groupID: request.groupID,
                    generationID: request.generationIDOrMemberEpoch,
                    memberID: request.memberID,
                    groupInstanceID: request.groupInstanceID,
                    offsets: offsets
                )
            )
        }
    }
}
