public import KafkaCore
public import KafkaProtocol
import NIOCore

/// Kafka's "consumer" group protocol bytes (`ConsumerProtocol`): what a member puts in JoinGroup's protocol
/// metadata (its subscription) and what the leader puts in SyncGroup for each member (its assignment). Each is an
/// Int16 version, then `ConsumerProtocolSubscription` / `ConsumerProtocolAssignment` at that version. This client
/// writes version 1 (Kafka 2.8: the subscription carries the partitions the member owns) and reads any version,
/// newer ones as the highest it knows, as the Java client does.
public enum ConsumerProtocol {
    public static let protocolType = "consumer"
    static let writtenVersion: Int16 = 1

    /// A member's subscription as JoinGroup carries it.
    public struct Subscription: Sendable, Equatable {
        public var topics: [String]
        public var ownedPartitions: [TopicPartition]
        public var userData: [UInt8]?

        public init(topics: [String], ownedPartitions: [TopicPartition] = [], userData: [UInt8]? = nil) {
            self.topics = topics
            self.ownedPartitions = ownedPartitions
            self.userData = userData
        }
    }

    public static func encode(_ subscription: Subscription) -> [UInt8] {
        let message = ConsumerProtocolSubscription(
            topics: subscription.topics,
            userData: subscription.userData,
            ownedPartitions: grouped(subscription.ownedPartitions).map {
                ConsumerProtocolSubscription.TopicPartition(topic: $0.topic, partitions: $0.partitions)
            }
        )
        var buffer = ByteBuffer()
        buffer.writeInteger(writtenVersion)
        message.write(to: &buffer, version: writtenVersion)
        return Array(buffer.readableBytesView)
    }

    public static func decodeSubscription(_ bytes: [UInt8]) throws(ProtocolError) -> Subscription {
        var buffer = ByteBuffer(bytes: bytes)
        let version = try readVersion(&buffer)
        let message = try ConsumerProtocolSubscription(
            from: &buffer,
            version: min(version, ConsumerProtocolSubscription.validVersions.upperBound)
        )
        return Subscription(
            topics: message.topics,
            ownedPartitions: message.ownedPartitions.flatMap { owned in
                owned.partitions.map { TopicPartition(owned.topic, $0) }
            },
            userData: message.userData
        )
    }

    public static func encode(assignment: [TopicPartition], userData: [UInt8]? = nil) -> [UInt8] {
        let message = ConsumerProtocolAssignment(
            assignedPartitions: grouped(assignment).map {
                ConsumerProtocolAssignment.TopicPartition(topic: $0.topic, partitions: $0.partitions)
            },
            userData: userData
        )
        var buffer = ByteBuffer()
        buffer.writeInteger(writtenVersion)
        message.write(to: &buffer, version: writtenVersion)
        return Array(buffer.readableBytesView)
    }

    /// A member's assigned partitions; an empty answer (a member the leader gave nothing) is no partitions.
    public static func decodeAssignment(_ bytes: [UInt8]) throws(ProtocolError) -> [TopicPartition] {
        guard !bytes.isEmpty else { return [] }
        var buffer = ByteBuffer(bytes: bytes)
        let version = try readVersion(&buffer)
        let message = try ConsumerProtocolAssignment(
            from: &buffer,
            version: min(version, ConsumerProtocolAssignment.validVersions.upperBound)
        )
        return message.assignedPartitions.flatMap { assigned in
            assigned.partitions.map { TopicPartition(assigned.topic, $0) }
        }
    }

    private static func readVersion(_ buffer: inout ByteBuffer) throws(ProtocolError) -> Int16 {
        guard let version = buffer.readInteger(as: Int16.self), version >= 0 else {
            throw ProtocolError.truncated(field: "consumer protocol version")
        }
        return version
    }

    /// Partitions grouped by topic, topics and partitions in order.
    static func grouped(_ partitions: [TopicPartition]) -> [(topic: String, partitions: [Int32])] {
        Dictionary(grouping: partitions, by: \.topic)
            .map { (topic: $0.key, partitions: $0.value.map(\.partition).sorted()) }
            .sorted { $0.topic < $1.topic }
    }
}
