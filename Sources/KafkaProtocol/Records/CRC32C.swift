import CCRC32C
public import NIOCore

/// CRC-32C (Castagnoli), the checksum of RecordBatch v2, computed by the CPU's crc32 instruction where there is
/// one (SSE4.2, three interleaved streams) and by a portable table-driven loop elsewhere.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        update(crc, bytes)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    /// The checksum of `length` bytes of `buffer` starting at index `at`, without moving or copying anything.
    public static func checksum(of buffer: ByteBuffer, at index: Int, length: Int) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            let start = index - buffer.readerIndex
            return update(0, UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
        }
    }

    /// The portable implementation alone (for tests).
    public static func portableChecksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { swiftkafka_crc32c_portable(0, $0.baseAddress, $0.count) }
    }

    /// Whether the CPU instruction is in use.
    public static var isHardwareAccelerated: Bool { swiftkafka_crc32c_is_hardware() != 0 }

    @usableFromInline
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        swiftkafka_crc32c(crc, bytes.baseAddress, bytes.count)
    }
}
