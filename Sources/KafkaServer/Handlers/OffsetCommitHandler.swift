import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetCommit (8): committed offsets go to the broker's offset store (`offsets.storage`); v0 always to ZooKeeper,
/// as in Kafka. Commits outside any generation (generation -1, no member) are the admin tools' resets.
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
            // v0 writes to ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                guard !request.groupID.isEmpty else { return answer { _ in .invalidGroupID } }
                let store = ZooKeeperOffsetStore(zk: services.zk)
                let offsets = request.topics.flatMap { topic in
                    topic.partitions.map {
                        (
                            TopicPartition(topic.name, $0.partitionIndex),
                            CommittedOffset(offset: $0.committedOffset, commitTimestamp: -1)
                        )
                    }
                }
                do {
                    try await store.commit(group: request.groupID, offsets: Dictionary(offsets) { $1 })
                    return answer { _ in .none }
                } catch {
                    services.logger.error("OffsetCommit v0 to ZooKeeper failed: \(error)")
                    return answer { _ in .unknownServerError }
                }
            }
            if let error = GroupHandlers.check(request.groupID, services) { return answer { _ in error } }
            var offsets: [TopicPartition: CommittedOffset] = [:]
            var tooLarge: Set<TopicPartition> = []
            let now = services.clock.milliseconds
            for topic in request.topics {
                for partition in topic.partitions {
                    let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                    if (partition.committedMetadata?.utf8.count ?? 0) > services.config.offsetMetadataMaxBytes {
                        tooLarge.insert(topicPartition)
                        continue
                    }
                    offsets[topicPartition] = CommittedOffset(
                        offset: partition.committedOffset,
                        leaderEpoch: partition.committedLeaderEpoch,
                        metadata: partition.committedMetadata ?? "",
                        commitTimestamp: now
                    )
                }
            }
            let error = await services.groupCoordinator.commitOffsets(
                groupID: request.groupID,
                generationID: request.generationIDOrMemberEpoch,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID,
                offsets: offsets
            )
            return answer { tooLarge.contains($0) ? .offsetMetadataTooLarge : error }
        }
    }
}
