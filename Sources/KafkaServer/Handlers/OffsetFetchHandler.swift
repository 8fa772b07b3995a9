import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// OffsetFetch (9): a group's committed offsets (-1 where none); v0 reads ZooKeeper, as in Kafka. With
/// `require_stable` (v7, KIP-447; librdkafka's read_committed consumers set it) a partition whose offset an open
/// transaction is committing answers UNSTABLE_OFFSET_COMMIT, which the client retries. With an authorizer:
/// Group:Describe (GROUP_AUTHORIZATION_FAILED), then Topic:Describe (named topics refused, others left out).
enum OffsetFetchHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetFetchRequest.self) { request, context in
            func failed(_ error: KafkaErrorCode) -> OffsetFetchResponse {
                // v0-1 have no top-level error: every partition carries it.
                OffsetFetchResponse(
                    topics: (request.topics ?? []).map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitionIndexes.map {
                                .init(partitionIndex: $0, committedOffset: -1, errorCode: error)
                            }
                        )
                    },
                    errorCode: error
                )
            }
            let authorizer = services.authorizer
            guard authorizer.authorize(context, .describe, .group, request.groupID) else {
                return failed(.groupAuthorizationFailed)
            }
            let described = authorizer.authorizedNames(context, .describe, .topic, (request.topics ?? []).map(\.name))
            // v0 reads ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                let store = ZooKeeperOffsetStore(zk: services.zk)
                let wanted = (request.topics ?? []).flatMap { topic in
                    topic.partitionIndexes.map { TopicPartition(topic.name, $0) }
                }
                let found = (try? await store.fetch(group: request.groupID, partitions: wanted))
                return OffsetFetchResponse(
                    topics: (request.topics ?? []).map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitionIndexes.map {
                                .init(
                                    partitionIndex: $0,
                                    committedOffset: found?[TopicPartition(topic.name, $0)]?.offset ?? -1,
                                    errorCode: !described.contains(topic.name)
                                        ? .topicAuthorizationFailed
                                        : found == nil ? KafkaErrorCode.unknownServerError : .none
                                )
                            }
                        )
                    }
                )
            }
            if let error = GroupHandlers.check(request.groupID, services) { return failed(error) }
            let wanted = request.topics.map { topics in
                topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } }
            }
            guard
                let committed = await services.groupCoordinator.fetchOffsets(
                    groupID: request.groupID,
                    partitions: wanted?.filter { described.contains($0.topic) }
                )
            else {
                return OffsetFetchResponse(errorCode: KafkaErrorCode.coordinatorNotAvailable)
            }
            // All partitions: only the topics the principal may describe, quietly.
            let partitions =
                wanted
                ?? {
                    let topics = authorizer.authorizedNames(
                        context,
                        .describe,
                        .topic,
                        Set(committed.keys.map(\.topic)),
                        logIfDenied: false
                    )
                    return committed.keys.filter { topics.contains($0.topic) }.sorted()
                }()
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            return OffsetFetchResponse(
                topics: byTopic.keys.sorted().map { topic in
                    .init(
                        name: topic,
                        partitions: byTopic[topic]!.map { partition in
                            if request.topics != nil, !described.contains(topic) {
                                return .init(
                                    partitionIndex: partition.partition,
                                    committedOffset: -1,
                                    errorCode: .topicAuthorizationFailed
                                )
                            }
                            if context.apiVersion >= 7, request.requireStable,
                                services.offsetsTopic.topicStore?.hasPendingOffset(
                                    group: request.groupID,
                                    partition: partition
                                ) == true
                            {
                                return .init(
                                    partitionIndex: partition.partition,
                                    committedOffset: -1,
                                    errorCode: .unstableOffsetCommit
                                )
                            }
                            let offset = committed[partition]
                            return .init(
                                partitionIndex: partition.partition,
                                committedOffset: offset?.offset ?? -1,
                                committedLeaderEpoch: offset?.leaderEpoch ?? -1,
                                metadata: offset?.metadata ?? "",
                                errorCode: .none
                            )
                        }
                    )
                },
                errorCode: .none
            )
        }
    }
}
