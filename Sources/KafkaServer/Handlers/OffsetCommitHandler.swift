import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetCommit (8): committed offsets go to the broker's offset store (`offsets.storage`); v0 always to ZooKeeper,
/// as in Kafka. Commits outside any generation (generation -1, no member) are the admin tools' resets. A partition
/// the metadata cache does not know is answered UNKNOWN_TOPIC_OR_PARTITION and nothing is stored for it, in both
/// modes (Kafka's `handleOffsetCommitRequest`); a request with no known partition does not reach the coordinator.
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
            var unknown: Set<TopicPartition> = []
            for topic in request.topics {
                for partition in topic.partitions {
                    let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                    if services.metadataCache.partition(topicPartition) == nil { unknown.insert(topicPartition) }
                }
            }
            // v0 writes to ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                guard !request.groupID.isEmpty else { return answer { _ in .invalidGroupID } }
                var offsets: [TopicPartition: CommittedOffset] = [:]
                var tooLarge: Set<TopicPartition> = []
                for topic in request.topics {
                    for partition in topic.partitions {
                        let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                        guard !unknown.contains(topicPartition) else { continue }
                        if (partition.committedMetadata?.utf8.count ?? 0) > services.config.offsetMetadataMaxBytes {
                            tooLarge.insert(topicPartition)
                            continue
                        }
                        offsets[topicPartition] = CommittedOffset(
                            offset: partition.committedOffset,
                            commitTimestamp: -1
                        )
                    }
                }
                var stored = KafkaErrorCode.none
                if !offsets.isEmpty {
                    do {
                        try await ZooKeeperOffsetStore(zk: services.zk).commit(group: request.groupID, offsets: offsets)
                    } catch {
                        services.logger.error("OffsetCommit v0 to ZooKeeper failed: \(error)")
                        stored = .unknownServerError
                    }
                }
                return answer {
                    unknown.contains($0)
                        ? .unknownTopicOrPartition : tooLarge.contains($0) ? .offsetMetadataTooLarge : stored
                }
            }
            let partitionCount = request.topics.reduce(0) { $0 + $1.partitions.count }
            guard partitionCount > unknown.count else { return answer { _ in .unknownTopicOrPartition } }
            if let error = GroupHandlers.check(request.groupID, services) {
                return answer { unknown.contains($0) ? .unknownTopicOrPartition : error }
            }
            var offsets: [TopicPartition: CommittedOffset] = [:]
            var tooLarge: Set<TopicPartition> = []
            let now = services.clock.milliseconds
            for topic in request.topics {
                for partition in topic.partitions {
                    let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                    guard !unknown.contains(topicPartition) else { continue }
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
            return answer {
                unknown.contains($0)
                    ? .unknownTopicOrPartition : tooLarge.contains($0) ? .offsetMetadataTooLarge : error
            }
        }
    }
}
