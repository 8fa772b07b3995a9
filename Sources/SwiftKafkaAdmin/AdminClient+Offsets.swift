import KafkaClient
import KafkaCore
import KafkaProtocol

/// The partition-level lookups the commands share, on the library's admin client: a topic's partitions, the
/// partitions' leaders, and ListOffsets answers (latest, earliest, or by timestamp).
extension AdminClient {
    /// ListOffsets' special timestamps.
    static let latest: Int64 = -1
    static let earliest: Int64 = -2

    /// Every partition of `topics`; a topic the cluster does not have is an error naming it.
    func partitions(ofTopics topics: [String]) async throws -> [TopicPartition] {
        guard !topics.isEmpty else { return [] }
        return try await admin.describeTopics(topics).flatMap { topic in
            guard topic.error == .none else { throw Failure("topic '\(topic.name)': \(errorText(topic.error, nil))") }
            return topic.partitions.map { TopicPartition(topic.name, $0.partition) }
        }
        .sorted()
    }

    /// `partitions` by their leaders' broker ids; partitions without a leader are left out.
    func leaders(of partitions: [TopicPartition]) async throws -> [Int32: [TopicPartition]] {
        try await admin.leaders(of: partitions)
    }

    /// Each partition's offset for `timestamp` (`latest`, `earliest`, or milliseconds since the epoch: the first
    /// offset whose timestamp is at least that, -1 if none), from its leader; partitions without a leader or
    /// answering an error are missing from the result.
    func offsets(of partitions: [TopicPartition], at timestamp: Int64) async throws -> [TopicPartition: Int64] {
        try await admin.listOffsets(partitions, at: timestamp).compactMapValues { try? $0.get() }
    }
}
