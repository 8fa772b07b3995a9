public import NIOCore

/// A RecordBatch v2 (magic 2) as a view over the bytes it arrived in: reading a field reads the buffer, and
/// the setters write the buffer in place, so a batch is stored exactly as the producer sent it.
///
/// Layout (Kafka's `DefaultRecordBatch`), all integers big-endian:
///
///     0  BaseOffset int64            (assigned by the broker; not covered by the CRC)
///     8  BatchLength int32           (bytes after this field: batch size = 12 + BatchLength)
///    12  PartitionLeaderEpoch int32  (set by the broker; not covered by the CRC)
///    16  Magic int8                  (2)
///    17  CRC uint32                  (CRC-32C of bytes 21 to the end)
///    21  Attributes int16            (bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control,
///                                     6 delete horizon set)
///    23  LastOffsetDelta int32
///    27  BaseTimestamp int64
///    35  MaxTimestamp int64
///    43  ProducerId int64
///    51  ProducerEpoch int16
///    53  BaseSequence int32
///    57  RecordCount int32
///    61  Records                     (one compressed blob when the codec is not none)
///
/// The buffer's readable bytes are exactly one batch. Setters mutate the buffer: when its storage is shared
/// (for instance with the request it was sliced from) the first write copies it, so owners that want to avoid
/// the copy release the other references first.
public struct RecordBatch: Sendable, Equatable {
    public static let baseOffsetOffset = 0
    public static let batchLengthOffset = 8
    public static let partitionLeaderEpochOffset = 12
    public static let magicOffset = 16
    public static let crcOffset = 17
    public static let attributesOffset = 21
    public static let lastOffsetDeltaOffset = 23
    public static let baseTimestampOffset = 27
    public static let maxTimestampOffset = 35
    public static let producerIDOffset = 43
    public static let producerEpochOffset = 51
    public static let baseSequenceOffset = 53
    public static let recordCountOffset = 57
    public static let recordsOffset = 61
    /// Everything up to the records.
    public static let headerSize = 61
    /// The bytes before BatchLength's count starts: BaseOffset and BatchLength.
    public static let logOverhead = 12

    public static let compressionCodecMask: Int16 = 0x07
    public static let timestampTypeMask: Int16 = 0x08
    public static let transactionalFlagMask: Int16 = 0x10
    public static let controlFlagMask: Int16 = 0x20
    public static let deleteHorizonFlagMask: Int16 = 0x40

    /// The batch's bytes (exactly one batch).
    public private(set) var buffer: ByteBuffer

    /// Wraps `buffer`, whose readable bytes must be one whole batch as `nextBatch` cuts them; it is not validated.
    public init(unchecked buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Cuts the next batch off the front of `buffer` using its BatchLength, or returns nil when `buffer` does not
    /// hold a whole batch (a partial batch at the end of a fetch response or a log segment). Throws
    /// `RecordBatchError` for a header whose length cannot be a batch.
    public static func nextBatch(from buffer: inout ByteBuffer) throws(RecordBatchError) -> RecordBatch? {
        guard let batchLength = buffer.getInteger(at: buffer.readerIndex + batchLengthOffset, as: Int32.self) else {
            return nil
        }
        let size = Int(batchLength) + logOverhead
        guard size >= headerSize else { throw .invalidBatchLength(batchLength) }
        guard let batch = buffer.readSlice(length: size) else { return nil }
        return RecordBatch(unchecked: batch)
    }

    @inline(__always)
    private func field<T: FixedWidthInteger>(_ offset: Int, as type: T.Type = T.self) -> T {
        buffer.getInteger(at: buffer.readerIndex + offset, as: T.self)!
    }

    @inline(__always)
    private mutating func setField<T: FixedWidthInteger>(_ offset: Int, _ value: T) {
        buffer.setInteger(value, at: buffer.readerIndex + offset)
    }

    public var baseOffset: Int64 {
        get { field(Self.baseOffsetOffset) }
        set { setField(Self.baseOffsetOffset, newValue) }
    }
    public var batchLength: Int32 { field(Self.batchLengthOffset) }
    public var partitionLeaderEpoch: Int32 {
        get { field(Self.partitionLeaderEpochOffset) }
        set { setField(Self.partitionLeaderEpochOffset, newValue) }
    }
    public var magic: Int8 { field(Self.magicOffset) }
    public var crc: UInt32 { field(Self.crcOffset) }
    public var attributes: Int16 { field(Self.attributesOffset) }
    public var lastOffsetDelta: Int32 { field(Self.lastOffsetDeltaOffset) }
    public var baseTimestamp: Int64 { field(Self.baseTimestampOffset) }
    public var maxTimestamp: Int64 { field(Self.maxTimestampOffset) }
    public var producerID: Int64 { field(Self.producerIDOffset) }
    public var producerEpoch: Int16 { field(Self.producerEpochOffset) }
    public var baseSequence: Int32 { field(Self.baseSequenceOffset) }
    public var recordCount: Int32 { field(Self.recordCountOffset) }

    /// The whole batch's size in bytes.
    public var sizeInBytes: Int { buffer.readableBytes }
    /// Wrapping, as Java's long arithmetic: a damaged header gives a wrong offset, not a trap.
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after this batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }
    /// The sequence of the last record (wrapping at Int32.max as Kafka's sequences do).
    public var lastSequence: Int32 {
        baseSequence < 0 ? -1 : Int32((Int64(baseSequence) + Int64(lastOffsetDelta)) % (Int64(Int32.max) + 1))
    }

    public var compressionCodec: CompressionCodec? {
        CompressionCodec(rawValue: attributes & Self.compressionCodecMask)
    }
    public var isLogAppendTime: Bool { attributes & Self.timestampTypeMask != 0 }
    public var isTransactional: Bool { attributes & Self.transactionalFlagMask != 0 }
    public var isControl: Bool { attributes & Self.controlFlagMask != 0 }
    public var hasProducerID: Bool { producerID >= 0 }

    /// The records section (compressed when the codec is not none), sharing the batch's storage.
    public var recordsSection: ByteBuffer {
        buffer.getSlice(at: buffer.readerIndex + Self.recordsOffset, length: sizeInBytes - Self.recordsOffset)!
    }

    /// The CRC-32C of bytes 21 to the end, as it should be.
    public func computeCRC() -> UInt32 {
        CRC32C.checksum(
            of: buffer,
            at: buffer.readerIndex + Self.attributesOffset,
            length: sizeInBytes - Self.attributesOffset
        )
    }

    /// Switches the batch to LogAppendTime: sets the timestamp-type bit and MaxTimestamp to `time` (record
    /// timestamp deltas stay as they are) and recomputes the CRC, as Kafka does for topics with
    /// `message.timestamp.type=LogAppendTime`.
    public mutating func setLogAppendTime(_ time: Int64) {
        setField(Self.attributesOffset, attributes | Self.timestampTypeMask)
        setField(Self.maxTimestampOffset, time)
        setField(Self.crcOffset, computeCRC())
    }
}
