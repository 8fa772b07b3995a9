import KafkaCore
import KafkaProtocol

/// The partition-level lookups the commands share: a topic's partitions and partitions' leaders from Metadata, and
/// ListOffsets answers (latest, earliest, or by timestamp) from each partition's leader.
extension AdminClient {
    /// ListOffsets' special timestamps.
    static let latest: Int64 = -1
    static let earliest: Int64 = -2

    /// Every partition of `topics`; a topic the cluster does not have is an error naming it.
    func partitions(ofTopics topics: [String]) async throws -> [TopicPartition] {
        guard !topics.isEmpty else { return [] }
        let metadata = try await metadata(topics: topics)
        return try metadata.topics.flatMap { topic in
            guard topic.errorCode == .none else {
                throw Failure("topic '\(topic.name ?? "")': \(errorText(topic.errorCode, nil))")
            }
            return topic.partitions.map { TopicPartition(topic.name ?? "", $0.partitionIndex) }
        }
        .sorted()
    }

    /// `partitions` by their leaders' broker ids, from Metadata; partitions without a leader are left out.
    func leaders(of partitions: [TopicPartition]) async throws -> [Int32: [TopicPartition]] {
        guard !partitions.isEmpty else { return [:] }
        let wanted = Set(partitions)
        let metadata = try await metadata(topics: Array(Set(partitions.map(\.topic))))
        var byLeader: [Int32: [TopicPartition]] = [:]
        for topic in metadata.topics {
            for partition in topic.partitions where partition.leaderID >= 0 {
                let key = TopicPartition(topic.name ?? "", partition.partitionIndex)
                if wanted.contains(key) { byLeader[partition.leaderID, default: []].append(key) }
            }
        }
        return byLeader
    }

    /// Each partition's offset for `timestamp` (`latest`, `earliest`, or milliseconds since the epoch: the first
    /// offset whose timestamp is at least that, -1 if none), from its leader; partitions without a leader or
    /// answering an error are missing from the result.
    func offsets(of partitions: [TopicPartition], at timestamp: Int64) async throws -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for (leader, owned) in try await leaders(of: partitions) {
            var request = ListOffsetsRequest()
            request.replicaID = -1
            request.topics = Dictionary(grouping: owned, by: \.topic).map { topic, partitions in
                .init(
                    name: topic,
                    partitions: partitions.map { .init(partitionIndex: $0.partition, timestamp: timestamp) }
                )
            }
            let response = try await send(request, version: 5, to: leader)
            for topic in response.topics {
                for partition in topic.partitions where partition.errorCode == .none {
                    offsets[TopicPartition(topic.name, partition.partitionIndex)] = partition.offset
                }
            }
        }
        return offsets
    }
}
