import CCodecs
public import NIOCore

/// Kafka's message formats v0 and v1 (magic 0 and 1: the "message sets" before RecordBatch v2), what Produce v0-2
/// carries and Fetch v0-3 answers with. Each entry of a message set:
///
///     offset int64 | message_size int32 | crc uint32 | magic int8 | attributes int8 | [timestamp int64, v1]
///     | key bytes (int32 length, -1 null) | value bytes (int32 length, -1 null)
///
/// The CRC is CRC-32 (IEEE, zlib's) over magic through value. Attributes bits 0-2 are the codec, bit 3 (v1) marks
/// LogAppendTime. A compressed entry (a "wrapper") holds a whole message set in its compressed value; in v1 the
/// inner offsets are relative (0, 1, ...) and the wrapper's offset is the absolute offset of the last inner one, in
/// v0 they are absolute. Kafka's `LegacyRecord` and `AbstractLegacyRecordBatch`.
///
/// Decoding is for the produce path (up-conversion to v2); writing is for the fetch path (down-conversion), which
/// writes uncompressed messages only. Pure functions: any task may call them.
public enum LegacyMessageSet {
    /// One message after any wrapper is taken apart: its absolute offset as written (producers write anything),
    /// its timestamp (-1 in v0), its key and value.
    public struct Message: Sendable, Equatable {
        public var offset: Int64
        public var magic: Int8
        public var timestamp: Int64
        public var key: ByteBuffer?
        public var value: ByteBuffer?

        public init(offset: Int64, magic: Int8, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?) {
            self.offset = offset
            self.magic = magic
            self.timestamp = timestamp
            self.key = key
            self.value = value
        }
    }

    /// A decoded message set: its messages in order, and the codec of its (first) wrapper, `.none` when no message
    /// was compressed.
    public struct Decoded: Sendable {
        public var messages: [Message] = []
        public var codec: CompressionCodec = .none
    }

    /// The fixed part before key and value: offset, size, crc, magic, attributes.
    static let headerSizeV0 = 8 + 4 + 4 + 1 + 1
    /// The smallest message_size of a v0 message (crc through an empty value).
    static let minimumSizeV0: Int32 = 4 + 1 + 1 + 4 + 4

    /// Every message of `messageSet`, the inner ones of compressed wrappers in their place. Checks each CRC
    /// (CORRUPT_MESSAGE), the magic (only 0 and 1 here), and that the set ends on a message boundary; a wrapper's
    /// value is decompressed up to `decompressionLimit` bytes and may not contain another wrapper.
    public static func decode(
        _ messageSet: ByteBuffer,
        decompressionLimit: Int
    ) throws(RecordBatchError) -> Decoded {
        var decoded = Decoded()
        var remaining = messageSet
        var sawWrapper = false
        while remaining.readableBytes > 0 {
            let (message, codec) = try readMessage(from: &remaining)
            guard codec != .none else {
                decoded.messages.append(message)
                continue
            }
            if !sawWrapper { decoded.codec = codec }
            sawWrapper = true
            guard var value = message.value else {
                throw .malformedRecord(index: decoded.messages.count, reason: "a compressed message without a value")
            }
            if codec == .lz4 && message.magic == 0 { value = LegacyLZ4Frame.repaired(value) }
            var inner: ByteBuffer
            do {
                inner = try Compression.decompress(value, codec: codec, limit: decompressionLimit)
            } catch {
                throw .decompression(error)
            }
            var innerMessages: [Message] = []
            while inner.readableBytes > 0 {
                let (innerMessage, innerCodec) = try readMessage(from: &inner)
                guard innerCodec == .none else {
                    throw .malformedRecord(index: decoded.messages.count, reason: "a compressed message inside one")
                }
                innerMessages.append(innerMessage)
            }
            // v1 inner offsets are relative; the wrapper carries the last one's absolute offset.
            if message.magic == 1, let last = innerMessages.last {
                let base = message.offset - last.offset
                for index in innerMessages.indices { innerMessages[index].offset += base }
            }
            decoded.messages += innerMessages
        }
        return decoded
    }

    private static func readMessage(
        from buffer: inout ByteBuffer
    ) throws(RecordBatchError) -> (Message, CompressionCodec) {
        guard buffer.readableBytes >= 12,
            let offset = buffer.getInteger(at: buffer.readerIndex, as: Int64.self),
            let size = buffer.getInteger(at: buffer.readerIndex + 8, as: Int32.self)
        else { throw .sizeMismatch(declared: 12, actual: buffer.readableBytes) }
        guard size >= minimumSizeV0 else { throw .invalidBatchLength(size) }
        guard var body = buffer.getSlice(at: buffer.readerIndex + 12, length: Int(size)) else {
            throw .sizeMismatch(declared: Int(size) + 12, actual: buffer.readableBytes)
        }
        buffer.moveReaderIndex(forwardBy: 12 + Int(size))
        let stored: UInt32 = body.readInteger()!
        // The magic byte first, as Kafka reads it: a v2 batch here is INVALID_RECORD, not a bad CRC.
        let magic: Int8 = body.getInteger(at: body.readerIndex)!
        guard magic == 0 || magic == 1 else { throw .unsupportedMagic(magic) }
        let computed = crc32(of: body)
        guard stored == computed else { throw .crcMismatch(stored: stored, computed: computed) }
        body.moveReaderIndex(forwardBy: 1)
        let attributes: Int8 = body.readInteger()!
        let codecBits = Int16(attributes) & RecordBatch.compressionCodecMask
        guard let codec = CompressionCodec(rawValue: codecBits), codec != .zstd else { throw .unknownCodec(codecBits) }
        var timestamp: Int64 = -1
        if magic == 1 {
            guard let time: Int64 = body.readInteger() else { throw .malformedRecord(index: 0, reason: "no timestamp") }
            timestamp = time
        }
        let key = try readBytes(&body)
        let value = try readBytes(&body)
        guard body.readableBytes == 0 else {
            throw .malformedRecord(index: 0, reason: "message size does not match its fields")
        }
        return (Message(offset: offset, magic: magic, timestamp: timestamp, key: key, value: value), codec)
    }

    private static func readBytes(_ body: inout ByteBuffer) throws(RecordBatchError) -> ByteBuffer? {
        guard let length: Int32 = body.readInteger() else {
            throw .malformedRecord(index: 0, reason: "a key or value length is missing")
        }
        if length == -1 { return nil }
        guard length >= 0, let bytes = body.readSlice(length: Int(length)) else {
            throw .malformedRecord(index: 0, reason: "a key or value length of \(length) does not fit")
        }
        return bytes
    }

    /// The size `write` takes for a message with `keyLength` and `valueLength` bytes (nil: null).
    public static func size(magic: Int8, keyLength: Int?, valueLength: Int?) -> Int {
        headerSizeV0 + (magic == 1 ? 8 : 0) + 4 + (keyLength ?? 0) + 4 + (valueLength ?? 0)
    }

    /// Writes one uncompressed message with its CRC.
    public static func write(
        offset: Int64,
        magic: Int8,
        timestamp: Int64,
        isLogAppendTime: Bool,
        key: ByteBuffer?,
        value: ByteBuffer?,
        to buffer: inout ByteBuffer
    ) {
        let total = size(magic: magic, keyLength: key?.readableBytes, valueLength: value?.readableBytes)
        buffer.writeInteger(offset)
        buffer.writeInteger(Int32(total - 12))
        let crcIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(magic)
        buffer.writeInteger(Int8(magic == 1 && isLogAppendTime ? 0x08 : 0))
        if magic == 1 { buffer.writeInteger(timestamp) }
        writeBytes(key, to: &buffer)
        writeBytes(value, to: &buffer)
        let crc = crc32(of: buffer.getSlice(at: crcIndex + 4, length: buffer.writerIndex - crcIndex - 4)!)
        buffer.setInteger(crc, at: crcIndex)
    }

    private static func writeBytes(_ field: ByteBuffer?, to buffer: inout ByteBuffer) {
        if let field {
            buffer.writeInteger(Int32(field.readableBytes))
            buffer.writeImmutableBuffer(field)
        } else {
            buffer.writeInteger(Int32(-1))
        }
    }

    /// CRC-32 (IEEE) of the readable bytes.
    static func crc32(of buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            UInt32(
                CCodecs.crc32(0, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            )
        }
    }
}
