/// One partition of one topic: the unit of ordering, replication and leadership. Printed as Kafka prints it,
/// `topic-partition`, which is also the name of its log directory.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: PartitionID

    public init(_ topic: String, _ partition: PartitionID) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}
