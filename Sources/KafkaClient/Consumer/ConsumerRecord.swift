public import KafkaCore
public import KafkaProtocol
public import NIOCore

/// One record as the consumer returns it. Key, value and header values are slices of the fetched bytes (of the
/// decompressed batch when compressed), not copies.
public struct ConsumerRecord: Sendable {
    public var topic: String
    public var partition: PartitionID
    public var offset: Offset
    /// The producer's timestamp, or the broker's when the topic uses LogAppendTime (`timestampType`).
    public var timestamp: Int64
    public var timestampType: TimestampType
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// The leader epoch of the batch the record was written in.
    public var leaderEpoch: LeaderEpoch?

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    public enum TimestampType: Sendable, Equatable {
        case createTime, logAppendTime
    }
}

/// An offset to commit, with the leader epoch of the record before it and the application's metadata string.
public struct OffsetAndMetadata: Sendable, Equatable {
    public var offset: Offset
    public var leaderEpoch: LeaderEpoch?
    public var metadata: String

    public init(offset: Offset, leaderEpoch: LeaderEpoch? = nil, metadata: String = "") {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }
}

/// The offset found for a timestamp by `offsetsForTimes`: the first record at or after it.
public struct OffsetAndTimestamp: Sendable, Equatable {
    public var offset: Offset
    public var timestamp: Int64
}

/// Why a consumer call failed.
public enum ConsumerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker answered `operation` with this error.
    case broker(KafkaErrorCode, String)
    /// The commit belongs to a generation the group has left behind (a rebalance happened): the partitions may now
    /// be someone else's. The group is rejoined at the next poll.
    case commitFailed(KafkaErrorCode)
    /// A partition has no committed offset (or it is out of range) and `auto.offset.reset` is none.
    case noOffset(TopicPartition)
    /// A fetched batch failed its CRC or could not be decoded.
    case corruptRecord(TopicPartition, offset: Offset, String)
    /// The call needs a `group.id`, a subscription, or an assigned partition it was not given.
    case illegalState(String)
    /// `default.api.timeout.ms` (or the call's timeout) passed while waiting for this.
    case timedOut(String)
    /// The consumer was closed.
    case closed

    public var description: String {
        switch self {
        case .broker(let code, let operation): "\(operation): \(code)"
        case .commitFailed(let code):
            "commit failed: the group rebalanced and the partitions may be assigned to another member (\(code))"
        case .noOffset(let partition): "no offset for \(partition) and auto.offset.reset is none"
        case .corruptRecord(let partition, let offset, let reason):
            "corrupt record in \(partition) at \(offset): \(reason)"
        case .illegalState(let reason): reason
        case .timedOut(let what): "timed out waiting for \(what)"
        case .closed: "the consumer is closed"
        }
    }
}

/// Told when the group moves partitions (Kafka's `ConsumerRebalanceListener`), inside `poll`. Revoked partitions
/// were given up in an orderly rebalance (commit their offsets here); lost ones were taken away (the membership
/// expired), and committing them would fail.
public protocol ConsumerRebalanceListener: Sendable {
    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async
    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async
    func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async
}

extension ConsumerRebalanceListener {
    public func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {}
    public func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {}
    /// By default a loss is told as a revocation, as in Kafka.
    public func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {
        await partitionsRevoked(partitions, consumer: consumer)
    }
}
