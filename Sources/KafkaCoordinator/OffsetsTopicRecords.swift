public import KafkaCore
public import KafkaProtocol
public import NIOCore

/// The records of `__consumer_offsets` in Kafka's binary format: every key and value starts with an int16 version.
/// Offset commits: key version 1 (group, topic, partition) and value version 3 (offset, leader epoch, metadata,
/// commit timestamp), never value version 2, so Burrow-style readers decode them; group metadata: key version 2
/// (group) and value version 3. A null value (tombstone) deletes the key.
public enum OffsetsTopicRecords {
    public static func offsetKey(group: String, partition: TopicPartition) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(1))
        OffsetCommitKey(group: group, topic: partition.topic, partition: partition.partition).write(
            to: &buffer,
            version: 1
        )
        return Array(buffer.readableBytesView)
    }

    public static func offsetValue(_ offset: CommittedOffset) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(3))
        OffsetCommitValue(
            offset: offset.offset,
            leaderEpoch: offset.leaderEpoch,
            metadata: offset.metadata,
            commitTimestamp: offset.commitTimestamp
        ).write(to: &buffer, version: 3)
        return Array(buffer.readableBytesView)
    }

    public static func groupKey(_ group: String) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(2))
        GroupMetadataKey(group: group).write(to: &buffer, version: 2)
        return Array(buffer.readableBytesView)
    }

    public static func groupValue(_ value: GroupMetadataValue) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(3))
        value.write(to: &buffer, version: 3)
        return Array(buffer.readableBytesView)
    }

    /// Reads a group metadata value of versions 0 to 3.
    public static func decodeGroupValue(_ bytes: ByteBuffer) -> GroupMetadataValue? {
        var buffer = bytes
        guard let version = buffer.readInteger(as: Int16.self), (0...3).contains(version) else { return nil }
        return try? GroupMetadataValue(from: &buffer, version: version)
    }

    public enum Key: Equatable {
        case offset(group: String, partition: TopicPartition)
        case group(String)
    }

    /// Reads a key; nil for a version this broker does not know.
    public static func decodeKey(_ bytes: ByteBuffer) -> Key? {
        var buffer = bytes
        guard let version = buffer.readInteger(as: Int16.self) else { return nil }
        switch version {
        case 0, 1:
            guard let key = try? OffsetCommitKey(from: &buffer, version: version) else { return nil }
            return .offset(group: key.group, partition: TopicPartition(key.topic, key.partition))
        case 2:
            guard let key = try? GroupMetadataKey(from: &buffer, version: 2) else { return nil }
            return .group(key.group)
        default:
            return nil
        }
    }

    /// Reads an offset value of versions 0 to 3.
    public static func decodeOffsetValue(_ bytes: ByteBuffer) -> CommittedOffset? {
        var buffer = bytes
        guard let version = buffer.readInteger(as: Int16.self), (0...3).contains(version),
            let value = try? OffsetCommitValue(from: &buffer, version: version)
        else { return nil }
        return CommittedOffset(
            offset: value.offset,
            leaderEpoch: version >= 3 ? value.leaderEpoch : -1,
            metadata: value.metadata,
            commitTimestamp: value.commitTimestamp
        )
    }
}

/// A committed offset: the next offset to consume, the leader epoch it was read in (-1 unknown), the client's
/// metadata string (never null), and when it was committed.
public struct CommittedOffset: Sendable, Equatable {
    public var offset: Int64
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestamp: Int64) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}
