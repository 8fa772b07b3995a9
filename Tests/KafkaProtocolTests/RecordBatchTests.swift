import KafkaCore
import KafkaProtocol
import NIOCore
import Testing

@Suite("RecordBatch v2")
struct RecordBatchTests {
    static func sampleBatch(codec: CompressionCodec = .none, count: Int = 5) -> RecordBatch {
        var builder = RecordBatchBuilder(codec: codec)
        for index in 0..<count {
            builder.append(
                timestamp: 1_700_000_000_000 + Int64(index) * 10,
                key: index == 1 ? nil : Array("key-\(index)".utf8),
                value: Array("value-\(index)".utf8),
                headers: [("trace", Array("t\(index)".utf8)), ("empty", nil)]
            )
        }
        return builder.build()
    }

    @Test(arguments: CompressionCodec.allCases)
    func builtBatchesValidateAndDecode(codec: CompressionCodec) throws {
        var batch = Self.sampleBatch(codec: codec)
        try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        #expect(batch.magic == 2)
        #expect(batch.recordCount == 5)
        #expect(batch.lastOffsetDelta == 4)
        #expect(batch.compressionCodec == codec)
        #expect(batch.baseTimestamp == 1_700_000_000_000)
        #expect(batch.maxTimestamp == 1_700_000_000_040)

        batch.baseOffset = 1000
        batch.partitionLeaderEpoch = 7
        try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)  // outside the CRC: still valid
        let records = try batch.records(decompressionLimit: 1 << 20)
        #expect(records.map(\.offset) == [1000, 1001, 1002, 1003, 1004])
        #expect(records[1].key == nil)
        #expect(records[2].key.map { String(buffer: $0) } == "key-2")
        #expect(records[4].value.map { String(buffer: $0) } == "value-4")
        #expect(records[3].timestamp == 1_700_000_000_030)
        #expect(
            records[0].headers == [
                RecordHeader(key: "trace", value: ByteBuffer(string: "t0")), RecordHeader(key: "empty", value: nil),
            ]
        )
    }

    @Test func everyFlippedBitInTheCheckedRangeIsCaught() throws {
        let batch = Self.sampleBatch()
        let bytes = Array(batch.buffer.readableBytesView)
        for index in RecordBatch.attributesOffset..<bytes.count {
            var corrupted = bytes
            corrupted[index] ^= 0x10
            let damaged = RecordBatch(unchecked: ByteBuffer(bytes: corrupted))
            #expect(throws: RecordBatchError.self) { try damaged.validateHeader(maxSize: 1 << 20) }
            do {
                try damaged.validateHeader(maxSize: 1 << 20)
            } catch {
                #expect(error.errorCode == .corruptMessage, "byte \(index): \(error)")
            }
        }
    }

    @Test func legacyMagicIsInvalidRecord() {
        var bytes = Array(Self.sampleBatch().buffer.readableBytesView)
        bytes[RecordBatch.magicOffset] = 1
        let legacy = RecordBatch(unchecked: ByteBuffer(bytes: bytes))
        #expect(throws: RecordBatchError.unsupportedMagic(1)) { try legacy.validateHeader(maxSize: 1 << 20) }
        #expect(RecordBatchError.unsupportedMagic(1).errorCode == .invalidRecord)
    }

    @Test func recordCountMustMatchTheRecords() throws {
        // Claim 6 records (and LastOffsetDelta 5) over 5 real ones, with a correct CRC.
        var buffer = Self.sampleBatch().buffer
        buffer.setInteger(Int32(6), at: RecordBatch.recordCountOffset)
        buffer.setInteger(Int32(5), at: RecordBatch.lastOffsetDeltaOffset)
        var lying = RecordBatch(unchecked: buffer)
        let crc = lying.computeCRC()
        buffer.setInteger(crc, at: RecordBatch.crcOffset)
        lying = RecordBatch(unchecked: buffer)
        #expect(throws: RecordBatchError.recordCountMismatch(declared: 6, found: 5)) {
            try lying.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        }
    }

    @Test func sizeLimitIsMessageTooLarge() {
        let batch = Self.sampleBatch()
        #expect(throws: RecordBatchError.tooLarge(size: batch.sizeInBytes, limit: 100)) {
            try batch.validate(maxSize: 100, decompressionLimit: 1 << 20)
        }
        #expect(RecordBatchError.tooLarge(size: 1, limit: 0).errorCode == .messageTooLarge)
    }

    @Test func controlBatchesFromClientsAreRefused() throws {
        let marker = RecordBatchBuilder.controlBatch(
            .commit,
            coordinatorEpoch: 3,
            producerID: 42,
            producerEpoch: 1,
            timestamp: 5
        )
        #expect(marker.isControl)
        #expect(marker.isTransactional)
        #expect(throws: RecordBatchError.controlBatchFromClient) {
            try marker.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        }
        try marker.validate(maxSize: 1 << 20, fromClient: false, decompressionLimit: 1 << 20)
        let record = try #require(try marker.records(decompressionLimit: 1024).first)
        #expect(record.key.map { Array($0.readableBytesView) } == [0, 0, 0, 1])
        #expect(record.value.map { Array($0.readableBytesView) } == [0, 0, 0, 0, 0, 3])
    }

    @Test func logAppendTimeRewritesTimestampAndCRC() throws {
        var batch = Self.sampleBatch(codec: .lz4)
        let before = batch.crc
        batch.setLogAppendTime(1_800_000_000_000)
        #expect(batch.isLogAppendTime)
        #expect(batch.maxTimestamp == 1_800_000_000_000)
        #expect(batch.crc != before)
        try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        #expect(try batch.records(decompressionLimit: 1 << 20).allSatisfy { $0.timestamp == 1_800_000_000_000 })
    }

    @Test func batchesAreCutFromAStream() throws {
        var stream = ByteBuffer()
        for base in [0, 5, 10] as [Int64] {
            var batch = Self.sampleBatch()
            batch.baseOffset = base
            stream.writeImmutableBuffer(batch.buffer)
        }
        stream.writeImmutableBuffer(Self.sampleBatch().buffer.getSlice(at: 0, length: 30)!)  // a partial batch
        var offsets: [Int64] = []
        while let batch = try RecordBatch.nextBatch(from: &stream) { offsets.append(batch.baseOffset) }
        #expect(offsets == [0, 5, 10])
        #expect(stream.readableBytes == 30)
    }

    @Test func sequencesOfIdempotentBatches() {
        var builder = RecordBatchBuilder()
        builder.producerID = 7
        builder.producerEpoch = 0
        builder.baseSequence = Int32.max - 1
        for index in 0..<3 { builder.append(timestamp: 0, key: nil, value: [UInt8(index)]) }
        let batch = builder.build()
        #expect(batch.hasProducerID)
        #expect(batch.lastSequence == 0)  // wraps past Int32.max
    }
}

/// `forEachKeyAndValue`, the scan broker-side schema validation uses: the same keys and values as the full decode,
/// for plain and compressed batches, and a stop when asked.
@Suite("RecordBatch key and value scan")
struct RecordBatchKeyValueScanTests {
    @Test(arguments: [CompressionCodec.none, .gzip, .zstd])
    func theScanSeesWhatTheDecodeSees(codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(codec: codec)
        builder.append(timestamp: 1, key: nil, value: [0, 0, 0, 0, 7, 1])
        builder.append(timestamp: 2, key: [9], value: nil, headers: [(key: "h", value: [1, 2])])
        builder.append(timestamp: 3, key: [8, 8], value: Array(repeating: 5, count: 300))
        let batch = builder.build()
        var scanned: [([UInt8]?, [UInt8]?)] = []
        try batch.forEachKeyAndValue(decompressionLimit: 1 << 20) { key, value in
            scanned.append((key.map { Array($0.readableBytesView) }, value.map { Array($0.readableBytesView) }))
            return true
        }
        let decoded = try batch.records(decompressionLimit: 1 << 20)
        #expect(scanned.count == 3)
        for (found, record) in zip(scanned, decoded) {
            #expect(found.0 == record.key.map { Array($0.readableBytesView) })
            #expect(found.1 == record.value.map { Array($0.readableBytesView) })
        }
        var seen = 0
        try batch.forEachKeyAndValue(decompressionLimit: 1 << 20) { _, _ in
            seen += 1
            return false
        }
        #expect(seen == 1)
    }
}
