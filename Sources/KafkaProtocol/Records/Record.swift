public import NIOCore

/// One record of a batch, decoded. Keys, values and header values are slices of the batch (or of its
/// decompressed records), not copies.
///
/// Wire form (`DefaultRecord`): Length varint, Attributes int8, TimestampDelta varlong, OffsetDelta varint,
/// KeyLength varint (-1 null) + Key, ValueLength varint (-1 null) + Value, HeaderCount varint, then per header
/// KeyLength varint + UTF-8 key, ValueLength varint (-1 null) + value.
public struct Record: Sendable, Equatable {
    public var offset: Int64
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    public init(offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

public struct RecordHeader: Sendable, Equatable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

extension RecordBatch {
    /// Every record of the batch with absolute offsets and timestamps (the batch's MaxTimestamp for every record
    /// of a LogAppendTime batch). For the compactor and the group coordinator; the append path never decodes
    /// records.
    public func records(decompressionLimit: Int) throws(RecordBatchError) -> [Record] {
        var records: [Record] = []
        records.reserveCapacity(Int(max(0, min(recordCount, 100_000))))
        let base = baseOffset
        let baseTime = baseTimestamp
        let appendTime: Int64? = isLogAppendTime ? maxTimestamp : nil
        try forEachRecordBody(decompressionLimit: decompressionLimit) { index, body in
            _ = try body.readKafkaInteger(Int8.self)
            let timestampDelta = try body.readVarlong()
            let offsetDelta = try body.readVarint()
            let key = try Self.readNullable(&body)
            let value = try Self.readNullable(&body)
            let headerCount = try body.readVarint()
            guard headerCount >= 0, Int(headerCount) <= body.readableBytes else {
                throw RecordBatchError.malformedRecord(index: index, reason: "bad header count")
            }
            var headers: [RecordHeader] = []
            for _ in 0..<headerCount {
                guard var keyBytes = try Self.readNullable(&body),
                    let headerKey = keyBytes.readString(length: keyBytes.readableBytes)
                else { throw RecordBatchError.malformedRecord(index: index, reason: "null header key") }
                headers.append(RecordHeader(key: headerKey, value: try Self.readNullable(&body)))
            }
            guard body.readableBytes == 0 else {
                throw RecordBatchError.malformedRecord(index: index, reason: "length does not match its fields")
            }
            records.append(
                Record(
                    offset: base &+ Int64(offsetDelta),
                    timestamp: appendTime ?? (baseTime &+ timestampDelta),
                    key: key,
                    value: value,
                    headers: headers
                )
            )
            return true
        }
        guard records.count == Int(recordCount) else {
            throw .recordCountMismatch(declared: recordCount, found: records.count)
        }
        return records
    }

    /// Calls `body` with each record's key and value, in order, without building `Record`s (broker-side schema
    /// validation reads only these); `body` returns false to stop. Compressed records are decompressed first.
    public func forEachKeyAndValue(
        decompressionLimit: Int,
        _ body: (_ key: ByteBuffer?, _ value: ByteBuffer?) -> Bool
    ) throws(RecordBatchError) {
        try forEachRecordBody(decompressionLimit: decompressionLimit) { _, record in
            _ = try record.readKafkaInteger(Int8.self)
            _ = try record.readVarlong()
            _ = try record.readVarint()
            let key = try Self.readNullable(&record)
            let value = try Self.readNullable(&record)
            return body(key, value)
        }
    }

    /// The records section, decompressed, cut into each record's bytes (after its Length varint) for `visit`,
    /// which returns false to stop; an error in `visit` that is not a `RecordBatchError` becomes a malformed
    /// record at that index.
    private func forEachRecordBody(
        decompressionLimit: Int,
        _ visit: (_ index: Int, _ record: inout ByteBuffer) throws -> Bool
    ) throws(RecordBatchError) {
        let codecBits = attributes & Self.compressionCodecMask
        guard let codec = CompressionCodec(rawValue: codecBits) else { throw .unknownCodec(codecBits) }
        var section: ByteBuffer
        do {
            section = try Compression.decompress(recordsSection, codec: codec, limit: decompressionLimit)
        } catch {
            throw .decompression(error)
        }
        var index = 0
        while section.readableBytes > 0 {
            do {
                let length = Int(try section.readVarint())
                guard length >= 0, var record = section.readSlice(length: length) else {
                    throw RecordBatchError.malformedRecord(index: index, reason: "bad length")
                }
                guard try visit(index, &record) else { return }
            } catch let error as RecordBatchError {
                throw error
            } catch {
                throw .malformedRecord(index: index, reason: "\(error)")
            }
            index += 1
        }
    }

    private static func readNullable(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let length = try buffer.readVarint()
        if length == -1 { return nil }
        guard length >= 0, let slice = buffer.readSlice(length: Int(length)) else {
            throw RecordBatchError.malformedRecord(index: 0, reason: "bad field length")
        }
        return slice
    }
}
