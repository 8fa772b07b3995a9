import KafkaCore
import NIOCore
import Testing

@testable import KafkaCoordinator

/// The group partitioning rule and the `__consumer_offsets` byte format, against the checked examples of
/// reference/zk-layout.md §4.2 and §4.9 (taken from Kafka 2.8, not from this code).
@Suite("__consumer_offsets format")
struct OffsetsTopicFormatTests {
    @Test(
        "Java String.hashCode and Utils.abs place groups as Kafka does",
        arguments: [
            ("", Int32(0), Int32(0)), ("my-group", -1_906_497_762, 12), ("console-consumer-12345", 158_455_506, 6),
            ("polygenelubricants", Int32.min, 0), ("g😀", 1_871_882, 32),
        ]
    )
    func partitioning(group: String, hash: Int32, partition: Int32) {
        #expect(GroupPartitioner.javaHashCode(group) == hash)
        #expect(GroupPartitioner.partition(for: group, partitions: 50) == partition)
    }

    static func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    @Test("An offset key is version 1: group, topic, partition")
    func offsetKey() {
        let key = OffsetsTopicRecords.offsetKey(group: "my-group", partition: TopicPartition("orders", 3))
        #expect(key == Self.hex("00 01 00 08 6d 79 2d 67 72 6f 75 70 00 06 6f 72 64 65 72 73 00 00 00 03"))
        #expect(
            OffsetsTopicRecords.decodeKey(ByteBuffer(bytes: key))
                == .offset(group: "my-group", partition: TopicPartition("orders", 3))
        )
        #expect(
            OffsetsTopicRecords.decodeKey(ByteBuffer(bytes: Self.hex("00 02 00 08 6d 79 2d 67 72 6f 75 70")))
                == .group("my-group")
        )
        #expect(OffsetsTopicRecords.decodeKey(ByteBuffer(bytes: Self.hex("00 07 00 00"))) == nil)
    }

    @Test("An offset value is version 3 (never 2); versions 0, 1 and 3 decode")
    func offsetValue() {
        let value = OffsetsTopicRecords.offsetValue(CommittedOffset(offset: 42, commitTimestamp: 1_700_000_000_000))
        #expect(value == Self.hex("00 03 00 00 00 00 00 00 00 2a ff ff ff ff 00 00 00 00 01 8b cf e5 68 00"))
        #expect(
            OffsetsTopicRecords.decodeOffsetValue(ByteBuffer(bytes: value))
                == CommittedOffset(offset: 42, commitTimestamp: 1_700_000_000_000)
        )
        let version1 = Self.hex("00 01 00 00 00 00 00 00 00 2a 00 00 00 00 01 8b cf e5 68 00 00 00 01 8b f3 f1 ec 00")
        #expect(
            OffsetsTopicRecords.decodeOffsetValue(ByteBuffer(bytes: version1))
                == CommittedOffset(offset: 42, commitTimestamp: 1_700_000_000_000)
        )
    }
}
