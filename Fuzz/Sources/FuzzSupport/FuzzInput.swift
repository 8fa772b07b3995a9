public import KafkaProtocol
public import NIOCore

/// What every fuzz target starts from: libFuzzer's bytes as a `ByteBuffer`, and the two checksums a mutation
/// breaks, recomputed so that an input can reach the code behind them. Used by the targets of this package only.
public enum FuzzInput {
    /// The input as a buffer of its own (libFuzzer's memory is valid only during the call).
    public static func buffer(_ data: UnsafePointer<UInt8>, _ size: Int) -> ByteBuffer {
        ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    }

    /// `batches` with the CRC-32C of every whole v2 batch set to what its bytes give, so that validation goes on
    /// to the records. Stops at the first length that does not fit.
    public static func withBatchCRCsFixed(_ batches: ByteBuffer) -> ByteBuffer {
        var fixed = batches
        var remaining = batches
        while let batch = try? RecordBatch.nextBatch(from: &remaining) {
            let start = remaining.readerIndex - batch.sizeInBytes
            fixed.setInteger(batch.computeCRC(), at: start + RecordBatch.crcOffset)
        }
        return fixed
    }

    /// `messageSet` with the CRC-32 of every whole v0/v1 message (offset, size, crc, then magic onwards) set to
    /// what its bytes give.
    public static func withMessageCRCsFixed(_ messageSet: ByteBuffer) -> ByteBuffer {
        var fixed = messageSet
        var position = fixed.readerIndex
        while let size = fixed.getInteger(at: position + 8, as: Int32.self), size >= 4,
            let covered = fixed.getSlice(at: position + 16, length: Int(size) - 4)
        {
            fixed.setInteger(crc32(covered), at: position + 12)
            position += 12 + Int(size)
        }
        return fixed
    }

    /// CRC-32 (IEEE 802.3, zlib's), bit by bit: only the fuzz targets' fix-ups use it.
    static func crc32(_ buffer: ByteBuffer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in buffer.readableBytesView {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
