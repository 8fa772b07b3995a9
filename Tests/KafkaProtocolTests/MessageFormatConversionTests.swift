import KafkaCore
import KafkaProtocol
import NIOCore
import Testing

/// Message formats v0/v1 to RecordBatch v2 and back, against message sets written here field by field.
@Suite("Message format conversion")
struct MessageFormatConversionTests {
    /// One legacy message, written field by field (not with `LegacyMessageSet.write`), its CRC computed bit by bit
    /// below (not with zlib, which the code under test uses).
    static func message(
        magic: Int8,
        offset: Int64,
        timestamp: Int64 = 0,
        attributes: Int8 = 0,
        key: [UInt8]?,
        value: [UInt8]?
    ) -> [UInt8] {
        var body: [UInt8] = [UInt8(bitPattern: magic), UInt8(bitPattern: attributes)]
        if magic == 1 { body += bigEndian(timestamp) }
        for field in [key, value] {
            if let field { body += bigEndian(Int32(field.count)) + field } else { body += bigEndian(Int32(-1)) }
        }
        body = bigEndian(ieeeCRC32(body)) + body
        return bigEndian(offset) + bigEndian(Int32(body.count)) + body
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// CRC-32 (IEEE 802.3, reflected 0xEDB88320), bit by bit: an independent check of the zlib-based one.
    static func ieeeCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func plainV0AndV1MessagesBecomeOneBatch() throws {
        let set =
            Self.message(magic: 0, offset: 40, key: Array("a".utf8), value: Array("one".utf8))
            + Self.message(magic: 1, offset: 41, timestamp: 1_234, key: nil, value: Array("two".utf8))
            + Self.message(magic: 1, offset: 99, timestamp: 5_678, key: Array("c".utf8), value: nil)
        let (batch, count) = try MessageFormatConversion.upConvert(ByteBuffer(bytes: set), decompressionLimit: 1 << 20)
        #expect(count == 3)
        #expect(batch.magic == 2 && batch.compressionCodec == CompressionCodec.none && batch.recordCount == 3)
        #expect(batch.producerID == -1 && batch.baseSequence == -1)
        try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        let records = try batch.records(decompressionLimit: 1 << 20)
        #expect(records.map(\.offset) == [0, 1, 2])
        #expect(records.map(\.timestamp) == [-1, 1_234, 5_678])
        #expect(records.map { $0.key.map { String(buffer: $0) } } == ["a", nil, "c"])
        #expect(records.map { $0.value.map { String(buffer: $0) } } == ["one", "two", nil])
    }

    /// Found by FuzzRecords: v1 timestamps far apart (a client may send any) made the v2 timestamp delta overflow
    /// and trap the broker; the delta wraps as Java's long does and every timestamp reads back unchanged.
    @Test func timestampsAtTheLimitsOfInt64SurviveUpConversion() throws {
        let timestamps: [Int64] = [Int64.max, Int64.min, 0, Int64.max - 1]
        let set = timestamps.enumerated().flatMap { index, timestamp in
            Self.message(magic: 1, offset: Int64(index), timestamp: timestamp, key: nil, value: [UInt8(index)])
        }
        let (batch, _) = try MessageFormatConversion.upConvert(ByteBuffer(bytes: set), decompressionLimit: 1 << 20)
        try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
        #expect(try batch.records(decompressionLimit: 1 << 20).map(\.timestamp) == timestamps)
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4])
    func aCompressedV1WrapperKeepsItsCodecAndInnerOrder(codec: CompressionCodec) throws {
        // Inner offsets relative (0...2), the wrapper's the last absolute one, as Kafka's v1 producers write.
        var inner: [UInt8] = []
        for index in 0..<3 {
            inner += Self.message(
                magic: 1,
                offset: Int64(index),
                timestamp: 100 + Int64(index),
                key: [UInt8(index)],
                value: Array("inner-\(index)".utf8)
            )
        }
        let compressed = Compression.compress(ByteBuffer(bytes: inner), codec: codec)
        let wrapper = Self.message(
            magic: 1,
            offset: 2,
            timestamp: 102,
            attributes: Int8(codec.rawValue),
            key: nil,
            value: Array(compressed.readableBytesView)
        )
        let decoded = try LegacyMessageSet.decode(ByteBuffer(bytes: wrapper), decompressionLimit: 1 << 20)
        #expect(decoded.codec == codec && decoded.messages.allSatisfy { $0.magic == 1 })
        #expect(decoded.messages.map(\.offset) == [0, 1, 2])
        let (batch, _) = try MessageFormatConversion.upConvert(ByteBuffer(bytes: wrapper), decompressionLimit: 1 << 20)
        #expect(batch.compressionCodec == codec)
        let records = try batch.records(decompressionLimit: 1 << 20)
        #expect(records.map(\.timestamp) == [100, 101, 102])
        #expect(records.map { String(buffer: $0.value!) } == ["inner-0", "inner-1", "inner-2"])
    }

    @Test func aV0LZ4FrameWithTheOldHeaderChecksumIsRead() throws {
        var frame = Compression.compress(
            ByteBuffer(bytes: Self.message(magic: 0, offset: 0, key: nil, value: [7])),
            codec: .lz4
        )
        // Rewrite the descriptor checksum as Kafka 0.8/0.9 computed it: over the magic number too.
        let bytes = Array(frame.readableBytesView)
        let flags = bytes[4]
        let descriptor = 2 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
        frame.setInteger(
            UInt8(truncatingIfNeeded: xxh32Reference(Array(bytes[0..<(4 + descriptor)])) >> 8),
            at: 4 + descriptor
        )
        #expect(throws: CompressionError.self) { try Compression.decompress(frame, codec: .lz4, limit: 1 << 20) }
        let wrapper = Self.message(
            magic: 0,
            offset: 0,
            attributes: Int8(CompressionCodec.lz4.rawValue),
            key: nil,
            value: Array(frame.readableBytesView)
        )
        let decoded = try LegacyMessageSet.decode(ByteBuffer(bytes: wrapper), decompressionLimit: 1 << 20)
        #expect(decoded.messages.map { $0.value.map { Array($0.readableBytesView) } } == [[7]])
    }

    /// XXH32 of a short input (< 16 bytes) with seed 0, from the specification's steps.
    func xxh32Reference(_ data: [UInt8]) -> UInt32 {
        let p1: UInt32 = 2_654_435_761
        let p2: UInt32 = 2_246_822_519
        let p3: UInt32 = 3_266_489_917
        let p4: UInt32 = 668_265_263
        let p5: UInt32 = 374_761_393
        func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        var h = p5 &+ UInt32(data.count)
        var i = 0
        while i + 4 <= data.count {
            let lane =
                UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            h = rotl(h &+ lane &* p3, 17) &* p4
            i += 4
        }
        while i < data.count {
            h = rotl(h &+ UInt32(data[i]) &* p5, 11) &* p1
            i += 1
        }
        h ^= h >> 15
        h = h &* p2
        h ^= h >> 13
        h = h &* p3
        h ^= h >> 16
        return h
    }

    @Test func badMessageSetsAreRefusedWithKafkasErrors() {
        let good = Self.message(magic: 1, offset: 0, timestamp: 1, key: nil, value: Array("v".utf8))
        var corrupt = good
        corrupt[corrupt.count - 1] ^= 0xFF
        #expect(throws: RecordBatchError.self) {
            try MessageFormatConversion.upConvert(ByteBuffer(bytes: corrupt), decompressionLimit: 1 << 20)
        }
        do {
            _ = try MessageFormatConversion.upConvert(ByteBuffer(bytes: corrupt), decompressionLimit: 1 << 20)
        } catch {
            #expect(error.errorCode == .corruptMessage)
        }
        for (bytes, code) in [
            (good + good.prefix(20), KafkaErrorCode.corruptMessage),  // a truncated last message
            ([], .invalidRecord),  // nothing at all
        ] {
            do {
                _ = try MessageFormatConversion.upConvert(ByteBuffer(bytes: bytes), decompressionLimit: 1 << 20)
                Issue.record("accepted \(bytes.count) bytes")
            } catch {
                #expect(error.errorCode == code)
            }
        }
    }

    /// Found by FuzzRecords: a damaged segment whose batch length is too small for a batch header (here 0) made
    /// down-conversion read the header past the slice and trap; it is an error for the fetch now.
    @Test func downConversionRefusesABatchLengthTooSmallForAHeader() {
        let damaged: [UInt8] = Array(repeating: 0, count: 12)  // base offset 0, batch length 0, nothing else
        #expect(throws: RecordBatchError.invalidBatchLength(0)) {
            try MessageFormatConversion.downConvert(
                ByteBuffer(bytes: damaged),
                toMagic: 0,
                fetchOffset: 0,
                maxBytes: 1 << 20,
                decompressionLimit: 1 << 20
            )
        }
    }

    @Test func downConversionWritesWholeMessagesFromTheFetchOffset() throws {
        var batches = ByteBuffer()
        var first = RecordBatchBuilder(baseOffset: 10, codec: .zstd)
        for index in 0..<4 {
            first.append(
                timestamp: 1_000 + Int64(index),
                key: [UInt8(index)],
                value: Array(repeating: 0x41, count: 50),
                headers: [(key: "h", value: [1])]
            )
        }
        batches.writeImmutableBuffer(first.build().buffer)
        let marker = RecordBatchBuilder.controlBatch(
            .commit,
            coordinatorEpoch: 0,
            producerID: 1,
            producerEpoch: 0,
            baseOffset: 14,
            timestamp: 1_004
        )
        batches.writeImmutableBuffer(marker.buffer)
        var second = RecordBatchBuilder(baseOffset: 15)
        second.isLogAppendTime = true
        second.maxTimestampOverride = 9_999
        second.append(timestamp: 5, key: nil, value: Array("last".utf8))
        batches.writeImmutableBuffer(second.build().buffer)
        batches.writeBytes([0, 0, 0])  // a partial batch at the end of a read

        for magic: Int8 in [0, 1] {
            let all = try MessageFormatConversion.downConvert(
                batches,
                toMagic: magic,
                fetchOffset: 12,
                maxBytes: 1 << 20,
                decompressionLimit: 1 << 20
            )
            let decoded = try LegacyMessageSet.decode(all.messageSet, decompressionLimit: 1 << 20)
            #expect(all.messages == 3)
            #expect(decoded.messages.map(\.offset) == [12, 13, 15])
            #expect(decoded.messages.map(\.magic) == [magic, magic, magic])
            #expect(decoded.messages.map(\.timestamp) == (magic == 0 ? [-1, -1, -1] : [1_002, 1_003, 9_999]))
            #expect(decoded.codec == .none)
        }
        let one = LegacyMessageSet.size(magic: 1, keyLength: 1, valueLength: 50)
        let limited = try MessageFormatConversion.downConvert(
            batches,
            toMagic: 1,
            fetchOffset: 10,
            maxBytes: 2 * one + 1,
            decompressionLimit: 1 << 20
        )
        #expect(limited.messages == 2 && limited.messageSet.readableBytes == 2 * one)
        let oversized = try MessageFormatConversion.downConvert(
            batches,
            toMagic: 1,
            fetchOffset: 10,
            maxBytes: 10,
            decompressionLimit: 1 << 20
        )
        #expect(oversized.messages == 1 && oversized.messageSet.readableBytes == one)
    }
}
