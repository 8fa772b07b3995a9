import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing

@testable import KafkaReplication

/// The append path's record-level checks (`ReplicaManager.checkRecords`) at the edges of their arithmetic: values a
/// client controls must give Kafka's error, never an overflow trap that would take the broker down.
@Suite("Record checks on append")
struct RecordChecksTests {
    @Test func timestampsAtTheLimitsOfInt64AreOutOfRangeNotATrap() throws {
        var config = LogConfig()
        config.messageTimestampDifferenceMaxMs = 60_000
        let now: Int64 = 1_800_000_000_000
        for timestamp in [Int64.min, Int64.min + 1, -2, Int64.max] {
            var builder = RecordBatchBuilder(baseOffset: 0)
            builder.append(timestamp: timestamp, key: nil, value: [1])
            #expect(throws: RecordBatchError.self, "timestamp \(timestamp)") {
                try ReplicaManager.checkRecords(of: builder.build(), config: config, now: now)
            }
        }
        var inRange = RecordBatchBuilder(baseOffset: 0)
        inRange.append(timestamp: now - 59_000, key: nil, value: [1])
        try ReplicaManager.checkRecords(of: inRange.build(), config: config, now: now)
    }

    /// A client's batch whose LastOffsetDelta is Int32.max (with a correct CRC) made `recordCount == delta + 1`
    /// overflow in validation; it is INVALID_RECORD's count mismatch now.
    @Test func aLastOffsetDeltaOfInt32MaxIsRefused() {
        var builder = RecordBatchBuilder(baseOffset: 0)
        builder.append(timestamp: 1, key: nil, value: [1])
        var bytes = builder.build().buffer
        bytes.setInteger(Int32.max, at: bytes.readerIndex + RecordBatch.lastOffsetDeltaOffset)
        bytes.setInteger(RecordBatch(unchecked: bytes).computeCRC(), at: bytes.readerIndex + RecordBatch.crcOffset)
        #expect(throws: RecordBatchError.invalidRecordCount(declared: 1, lastOffsetDelta: Int32.max)) {
            try RecordBatch(unchecked: bytes).validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        }
    }
}
