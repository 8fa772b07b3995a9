import KafkaProtocol
import NIOCore

/// The fixed 61-byte header of a batch in a segment file, read without its records (offset translation, time
/// lookups and recovery scan headers; fetches never decode them).
struct BatchHeader {
    var baseOffset: Int64
    /// The whole batch's size in bytes (12 + BatchLength).
    var size: Int
    var partitionLeaderEpoch: Int32
    var magic: Int8
    var lastOffsetDelta: Int32
    var maxTimestamp: Int64

    var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }  // wrapping, as Java's long
    var nextOffset: Int64 { lastOffset &+ 1 }  // wrapping: a damaged header must not trap

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= RecordBatch.headerSize else { return nil }
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        baseOffset = integer(RecordBatch.baseOffsetOffset, Int64.self)
        size = Int(integer(RecordBatch.batchLengthOffset, Int32.self)) + RecordBatch.logOverhead
        partitionLeaderEpoch = integer(RecordBatch.partitionLeaderEpochOffset, Int32.self)
        magic = integer(RecordBatch.magicOffset, Int8.self)
        lastOffsetDelta = integer(RecordBatch.lastOffsetDeltaOffset, Int32.self)
        maxTimestamp = integer(RecordBatch.maxTimestampOffset, Int64.self)
    }

    init(_ batch: RecordBatch) {
        baseOffset = batch.baseOffset
        size = batch.sizeInBytes
        partitionLeaderEpoch = batch.partitionLeaderEpoch
        magic = batch.magic
        lastOffsetDelta = batch.lastOffsetDelta
        maxTimestamp = batch.maxTimestamp
    }
}

extension SegmentFile {
    /// The batch header at `position`, or nil when fewer than 61 bytes remain.
    func batchHeader(at position: Int64) throws(StorageError) -> BatchHeader? {
        var raw = (
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0)
        )
        let header = try withUnsafeMutableBytes(of: &raw) { (space) throws(StorageError) -> BatchHeader? in
            let space = UnsafeMutableRawBufferPointer(rebasing: space[0..<RecordBatch.headerSize])
            let count = try read(into: space, at: position)
            return BatchHeader(UnsafeRawBufferPointer(rebasing: space[0..<count]))
        }
        return header
    }
}
