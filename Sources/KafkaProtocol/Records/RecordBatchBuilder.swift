public import NIOCore

/// Builds the batches the broker writes itself (`__consumer_offsets` records, transaction markers) and the
/// batches tests and benchmarks need, in RecordBatch v2 form with a correct CRC.
///
/// Use: set the batch-level fields, `append` records in offset order, then `build()`.
public struct RecordBatchBuilder: Sendable {
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32 = -1
    public var codec: CompressionCodec
    public var isLogAppendTime = false
    public var isTransactional = false
    public var isControl = false
    public var producerID: Int64 = -1
    public var producerEpoch: Int16 = -1
    public var baseSequence: Int32 = -1
    /// MaxTimestamp to write instead of the largest record timestamp (a LogAppendTime batch keeps its append time).
    public var maxTimestampOverride: Int64?
    /// LastOffsetDelta to write instead of the last record's: a compacted batch keeps its original last offset so
    /// that its producer's last sequence stays the same (Kafka's `overrideLastOffset`); an empty batch keeps it too.
    public var lastOffsetDeltaOverride: Int32?

    private var records = ByteBuffer()
    private var count: Int32 = 0
    private var lastOffsetDelta: Int32 = -1
    private var baseTimestamp: Int64 = -1
    private var maxTimestamp: Int64 = -1

    public init(baseOffset: Int64 = 0, codec: CompressionCodec = .none) {
        self.baseOffset = baseOffset
        self.codec = codec
    }

    public var isEmpty: Bool { count == 0 }

    /// Appends a record at the next offset delta.
    public mutating func append(
        timestamp: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)] = []
    ) {
        appendRecord(offsetDelta: lastOffsetDelta + 1, timestamp: timestamp, key: key, value: value) { records in
            records.writeVarint(Int32(headers.count))
            for header in headers {
                Self.writeNullable(Array(header.key.utf8), to: &records)
                Self.writeNullable(header.value, to: &records)
            }
        } headersSize: {
            headers.reduce(Self.varintSize(Int64(headers.count))) {
                $0 + Self.nullableSize($1.key.utf8.count) + Self.nullableSize($1.value?.count)
            }
        }
    }

    /// Appends a record at an explicit offset delta (above the last one): the compactor keeps each surviving
    /// record's offset, leaving gaps where records were removed.
    public mutating func append(
        offsetDelta: Int32,
        timestamp: Int64,
        key: ByteBuffer?,
        value: ByteBuffer?,
        headers: [RecordHeader] = []
    ) {
        appendRecord(offsetDelta: offsetDelta, timestamp: timestamp, key: key, value: value) { records in
            records.writeVarint(Int32(headers.count))
            for header in headers {
                Self.writeNullable(ByteBuffer(string: header.key), to: &records)
                Self.writeNullable(header.value, to: &records)
            }
        } headersSize: {
            headers.reduce(Self.varintSize(Int64(headers.count))) {
                $0 + Self.nullableSize($1.key.utf8.count) + Self.nullableSize($1.value?.readableBytes)
            }
        }
    }

    /// The uncompressed size of the records appended so far (what `batch.size` is measured against).
    public var recordsSize: Int { records.readableBytes }

    /// Writes one record straight into the records section: its length is computed first, so no record is built
    /// in a buffer of its own.
    private mutating func appendRecord<Bytes: RecordBytes>(
        offsetDelta: Int32,
        timestamp: Int64,
        key: Bytes?,
        value: Bytes?,
        writeHeaders: (inout ByteBuffer) -> Void,
        headersSize: () -> Int
    ) {
        precondition(offsetDelta > lastOffsetDelta, "offset deltas must rise")
        if count == 0 { baseTimestamp = timestamp }
        maxTimestamp = max(maxTimestamp, timestamp)
        let timestampDelta = timestamp &- baseTimestamp  // wrapping as Java's long: read back with &+
        let headersBytes = headersSize()
        let bodySize =
            1 + Self.varintSize(timestampDelta) + Self.varintSize(Int64(offsetDelta))
            + Self.nullableSize(key?.byteCount) + Self.nullableSize(value?.byteCount) + headersBytes
        // Everything but the headers in one pass over the buffer's memory (a write per field costs a bounds and
        // uniqueness check each); a record without headers (their size is the one byte of a zero count) ends
        // with that 0.
        records.writeWithUnsafeMutableBytes(minimumWritableBytes: bodySize + 5) { memory in
            var cursor = VarintCursor(memory)
            cursor.writeVarlong(Int64(bodySize))
            cursor.writeByte(0)
            cursor.writeVarlong(timestampDelta)
            cursor.writeVarlong(Int64(offsetDelta))
            cursor.writeNullable(key)
            cursor.writeNullable(value)
            return cursor.written
        }
        if headersBytes == 1 {
            records.writeInteger(UInt8(0))
        } else {
            writeHeaders(&records)
        }
        count += 1
        lastOffsetDelta = offsetDelta
    }

    private static func writeNullable<Bytes: RecordBytes>(_ bytes: Bytes?, to buffer: inout ByteBuffer) {
        guard let bytes else { return buffer.writeVarint(-1) }
        buffer.writeVarint(Int32(bytes.byteCount))
        bytes.write(to: &buffer)
    }

    /// The size of a length-prefixed field of `length` bytes (nil: null, a -1 prefix).
    private static func nullableSize(_ length: Int?) -> Int {
        guard let length else { return 1 }
        return varintSize(Int64(length)) + length
    }

    /// The size of `value` as a zigzag varint (varlong).
    static func varintSize(_ value: Int64) -> Int {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var size = 1
        while raw >= 0x80 {
            raw >>= 7
            size += 1
        }
        return size
    }

    public func build() -> RecordBatch {
        let section = Compression.compress(records, codec: codec)
        var attributes = codec.rawValue
        if isLogAppendTime { attributes |= RecordBatch.timestampTypeMask }
        if isTransactional { attributes |= RecordBatch.transactionalFlagMask }
        if isControl { attributes |= RecordBatch.controlFlagMask }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(RecordBatch.headerSize + section.readableBytes)
        buffer.writeKafkaInteger(baseOffset)
        buffer.writeKafkaInteger(Int32(RecordBatch.headerSize - RecordBatch.logOverhead + section.readableBytes))
        buffer.writeKafkaInteger(partitionLeaderEpoch)
        buffer.writeKafkaInteger(Int8(2))
        buffer.writeKafkaInteger(UInt32(0))  // CRC, set below
        buffer.writeKafkaInteger(attributes)
        buffer.writeKafkaInteger(lastOffsetDeltaOverride ?? max(lastOffsetDelta, 0))
        // An empty batch (a producer's last, kept by the cleaner) has no first record: Kafka writes its max timestamp.
        buffer.writeKafkaInteger(count == 0 ? (maxTimestampOverride ?? baseTimestamp) : baseTimestamp)
        buffer.writeKafkaInteger(maxTimestampOverride ?? maxTimestamp)
        buffer.writeKafkaInteger(producerID)
        buffer.writeKafkaInteger(producerEpoch)
        buffer.writeKafkaInteger(baseSequence)
        buffer.writeKafkaInteger(count)
        buffer.writeImmutableBuffer(section)
        var batch = RecordBatch(unchecked: buffer)
        let crc = batch.computeCRC()
        var bytes = batch.buffer
        bytes.setInteger(crc, at: bytes.readerIndex + RecordBatch.crcOffset)
        batch = RecordBatch(unchecked: bytes)
        return batch
    }

    /// A transaction marker: a control batch of one record whose key is (version 0, type) and whose value is
    /// (version 0, coordinator epoch), as Kafka's `EndTransactionMarker` writes it.
    public static func controlBatch(
        _ type: ControlRecordType,
        coordinatorEpoch: Int32,
        producerID: Int64,
        producerEpoch: Int16,
        baseOffset: Int64 = 0,
        timestamp: Int64
    ) -> RecordBatch {
        var builder = RecordBatchBuilder(baseOffset: baseOffset)
        builder.isControl = true
        builder.isTransactional = true
        builder.producerID = producerID
        builder.producerEpoch = producerEpoch
        var key = ByteBuffer()
        key.writeKafkaInteger(Int16(0))
        key.writeKafkaInteger(type.rawValue)
        var value = ByteBuffer()
        value.writeKafkaInteger(Int16(0))
        value.writeKafkaInteger(coordinatorEpoch)
        builder.append(offsetDelta: 0, timestamp: timestamp, key: key, value: value)
        return builder.build()
    }
}

/// The type of a control record (its key's second int16).
public enum ControlRecordType: Int16, Sendable {
    case abort = 0
    case commit = 1
}

/// Bytes a record's key, value or header value can be given as.
protocol RecordBytes {
    var byteCount: Int { get }
    func write(to buffer: inout ByteBuffer)
    /// Copies the bytes to `destination`, which has room for `byteCount` of them.
    func copy(to destination: UnsafeMutableRawPointer)
}

extension Array: RecordBytes where Element == UInt8 {
    var byteCount: Int { count }
    func write(to buffer: inout ByteBuffer) { buffer.writeBytes(self) }
    func copy(to destination: UnsafeMutableRawPointer) {
        withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { destination.copyMemory(from: base, byteCount: bytes.count) }
        }
    }
}

extension ByteBuffer: RecordBytes {
    var byteCount: Int { readableBytes }
    func write(to buffer: inout ByteBuffer) { buffer.writeImmutableBuffer(self) }
    func copy(to destination: UnsafeMutableRawPointer) {
        withUnsafeReadableBytes { bytes in
            if let base = bytes.baseAddress { destination.copyMemory(from: base, byteCount: bytes.count) }
        }
    }
}

/// Writes a record's leading fields into memory the caller reserved (room checked by the caller's size sum, and
/// by `precondition` here): zigzag varints, single bytes and length-prefixed bytes.
struct VarintCursor {
    let memory: UnsafeMutableRawBufferPointer
    private(set) var written = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    mutating func writeByte(_ byte: UInt8) {
        precondition(written < memory.count)
        memory[written] = byte
        written += 1
    }

    mutating func writeVarlong(_ value: Int64) {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while raw >= 0x80 {
            writeByte(UInt8(truncatingIfNeeded: raw) | 0x80)
            raw >>= 7
        }
        writeByte(UInt8(raw))
    }

    mutating func writeNullable<Bytes: RecordBytes>(_ bytes: Bytes?) {
        guard let bytes else { return writeVarlong(-1) }
        let count = bytes.byteCount
        writeVarlong(Int64(count))
        precondition(written + count <= memory.count)
        if count > 0, let base = memory.baseAddress { bytes.copy(to: base + written) }
        written += count
    }
}
