import KafkaMirror
import Testing

/// MM2's internal records against the byte vectors of `reference/mirrormaker.md` §4, computed there from
/// Kafka's `Struct` schemas (not from this code).
@Suite struct MirrorRecordsTests {
    static func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    @Test func offsetSyncBytes() throws {
        let sync = OffsetSync(topic: "orders", partition: 3, upstreamOffset: 100, downstreamOffset: 42)
        #expect(sync.key == Self.hex("00 06 6f 72 64 65 72 73 00 00 00 03"))
        #expect(sync.value == Self.hex("00 00 00 00 00 00 00 64 00 00 00 00 00 00 00 2a"))
        #expect(try OffsetSync(key: sync.key, value: sync.value) == sync)
    }

    @Test func checkpointBytes() throws {
        let checkpoint = Checkpoint(
            group: "g1",
            topic: "A.orders",
            partition: 3,
            upstreamOffset: 100,
            downstreamOffset: 42,
            metadata: ""
        )
        #expect(checkpoint.key == Self.hex("00 02 67 31 00 08 41 2e 6f 72 64 65 72 73 00 00 00 03"))
        #expect(
            checkpoint.value
                == Self.hex("00 00 00 00 00 00 00 00 00 64 00 00 00 00 00 00 00 2a 00 00")
        )
        #expect(try Checkpoint(key: checkpoint.key, value: checkpoint.value) == checkpoint)
        let withMetadata = Checkpoint(
            group: "g",
            topic: "t",
            partition: 0,
            upstreamOffset: 1,
            downstreamOffset: 1,
            metadata: "héllo"
        )
        #expect(try Checkpoint(key: withMetadata.key, value: withMetadata.value).metadata == "héllo")
    }

    @Test func heartbeatBytes() throws {
        let heartbeat = Heartbeat(sourceClusterAlias: "B", targetClusterAlias: "A", timestamp: 1_700_000_000_000)
        #expect(heartbeat.key == Self.hex("00 01 42 00 01 41"))
        #expect(heartbeat.value == Self.hex("00 00 00 00 01 8b cf e5 68 00"))
        #expect(try Heartbeat(key: heartbeat.key, value: heartbeat.value) == heartbeat)
    }

    @Test func unreadableRecordsAreRefused() {
        #expect(throws: MirrorRecordError.truncated) {
            try OffsetSync(key: Self.hex("00 06 6f 72"), value: [])
        }
        #expect(throws: MirrorRecordError.unknownVersion(1)) {
            try Heartbeat(key: Self.hex("00 01 42 00 01 41"), value: Self.hex("00 01 00 00 01 8b cf e5 68 00"))
        }
        #expect(throws: MirrorRecordError.invalidString) {
            try Heartbeat(key: Self.hex("ff ff"), value: [])
        }
        #expect(throws: MirrorRecordError.invalidString) {
            try Heartbeat(key: Self.hex("00 01 ff 00 01 41"), value: Self.hex("00 00 00 00 01 8b cf e5 68 00"))
        }
    }
}
