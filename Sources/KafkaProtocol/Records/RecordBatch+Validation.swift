import NIOCore

extension RecordBatch {
    /// Checks a batch before it is appended, in the order of Kafka's `LogValidator` for magic 2: whole and
    /// within `maxSize`, magic 2, CRC-32C, a record count that agrees with LastOffsetDelta, no control batch and
    /// sane producer fields from a client, a known codec, and records that parse and number exactly RecordCount
    /// (for a compressed batch after decompressing at most `decompressionLimit` bytes; the stored bytes stay
    /// compressed). Allocates nothing for an uncompressed batch.
    public func validate(maxSize: Int, fromClient: Bool = true, decompressionLimit: Int) throws(RecordBatchError) {
        try validateHeader(maxSize: maxSize, fromClient: fromClient)
        let codecBits = attributes & Self.compressionCodecMask
        guard let codec = CompressionCodec(rawValue: codecBits) else { throw .unknownCodec(codecBits) }
        let records: ByteBuffer
        if codec == .none {
            records = recordsSection
        } else {
            do {
                records = try Compression.decompress(recordsSection, codec: codec, limit: decompressionLimit)
            } catch {
                throw .decompression(error)
            }
        }
        let found = try Self.countRecords(in: records, checkOffsetDeltas: fromClient)
        guard found == Int(recordCount) else { throw .recordCountMismatch(declared: recordCount, found: found) }
    }

    /// The header checks alone (everything but the records).
    public func validateHeader(maxSize: Int, fromClient: Bool = true) throws(RecordBatchError) {
        guard sizeInBytes >= Self.headerSize else { throw .invalidBatchLength(Int32(sizeInBytes - Self.logOverhead)) }
        let declared = Int(batchLength) + Self.logOverhead
        guard declared == sizeInBytes else { throw .sizeMismatch(declared: declared, actual: sizeInBytes) }
        guard magic == 2 else { throw .unsupportedMagic(magic) }
        guard sizeInBytes <= maxSize else { throw .tooLarge(size: sizeInBytes, limit: maxSize) }
        let computed = computeCRC()
        guard computed == crc else { throw .crcMismatch(stored: crc, computed: computed) }
        guard recordCount > 0, lastOffsetDelta >= 0,
            fromClient ? Int64(recordCount) == Int64(lastOffsetDelta) + 1 : true
        else {
            throw .invalidRecordCount(declared: recordCount, lastOffsetDelta: lastOffsetDelta)
        }
        if fromClient {
            if isControl { throw .controlBatchFromClient }
            if isTransactional && !hasProducerID { throw .transactionalWithoutProducerID }
            if hasProducerID && baseSequence < 0 { throw .invalidSequence(baseSequence) }
        }
    }

    /// Walks the records of an uncompressed records section and counts them, checking that each one parses
    /// within its declared length and, for a client's batch, that offset deltas run 0, 1, 2, ...
    static func countRecords(in records: ByteBuffer, checkOffsetDeltas: Bool) throws(RecordBatchError) -> Int {
        let result: Result<Int, RecordBatchError> = records.withUnsafeReadableBytes { bytes in
            var reader = RawReader(bytes: bytes)
            var index = 0
            while reader.position < bytes.count {
                guard let length = reader.varint(), length >= 0, Int(length) <= bytes.count - reader.position else {
                    return .failure(.malformedRecord(index: index, reason: "bad length"))
                }
                let end = reader.position + Int(length)
                guard reader.skip(1),  // attributes
                    reader.varlong() != nil,  // timestamp delta
                    let offsetDelta = reader.varint()
                else { return .failure(.malformedRecord(index: index, reason: "truncated header")) }
                if checkOffsetDeltas && offsetDelta != Int32(truncatingIfNeeded: index) {
                    return .failure(.invalidOffsetDelta(index: index, found: offsetDelta))
                }
                guard reader.skipNullableField(limit: end), reader.skipNullableField(limit: end),  // key, value
                    let headerCount = reader.varint(), headerCount >= 0
                else { return .failure(.malformedRecord(index: index, reason: "bad key, value or header count")) }
                for _ in 0..<headerCount {
                    guard reader.skipNullableField(limit: end), reader.skipNullableField(limit: end) else {
                        return .failure(.malformedRecord(index: index, reason: "bad header"))
                    }
                }
                guard reader.position == end else {
                    return .failure(.malformedRecord(index: index, reason: "length does not match its fields"))
                }
                index += 1
            }
            return .success(index)
        }
        return try result.get()
    }
}

/// A cursor over raw bytes for the validation loop: zig-zag varints without bounds-checked buffer calls.
struct RawReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    @inline(__always)
    mutating func skip(_ count: Int) -> Bool {
        guard count <= bytes.count - position else { return false }
        position += count
        return true
    }

    @inline(__always)
    mutating func unsignedVarint(maxBytes: Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard position < bytes.count else { return nil }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    @inline(__always)
    mutating func varint() -> Int32? {
        guard let raw = unsignedVarint(maxBytes: 5), raw <= UInt32.max else { return nil }
        let value = UInt32(raw)
        return Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    @inline(__always)
    mutating func varlong() -> Int64? {
        guard let raw = unsignedVarint(maxBytes: 10) else { return nil }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A varint length (-1 for null) and that many bytes, ending no later than `limit`.
    @inline(__always)
    mutating func skipNullableField(limit: Int) -> Bool {
        guard let length = varint(), length >= -1 else { return false }
        if length == -1 { return true }
        guard Int(length) <= limit - position else { return false }
        position += Int(length)
        return true
    }
}
