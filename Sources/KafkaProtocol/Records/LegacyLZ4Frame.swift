public import NIOCore

/// The LZ4 frames of message format v0. Kafka before 0.10 (and librdkafka for magic 0) computed the frame
/// descriptor's header checksum over the frame's magic number too, so a standard LZ4 decoder refuses those frames;
/// Kafka accepts them for magic 0 (`KafkaLZ4BlockInputStream` ignoring the descriptor checksum). `repaired(_:)`
/// rewrites such a checksum byte to the standard one before decoding.
///
/// Frame start: magic `04 22 4D 18`, FLG, BD, [content size int64 if FLG bit 3], [dictionary id int32 if FLG bit 0],
/// HC = second byte of XXH32(descriptor, seed 0). Pure functions.
enum LegacyLZ4Frame {
    /// `frame` with a v0-style header checksum replaced by the standard one; otherwise `frame` unchanged.
    static func repaired(_ frame: ByteBuffer) -> ByteBuffer {
        let bytes = Array(frame.readableBytesView.prefix(19))
        guard bytes.count >= 7, bytes[0..<4] == [0x04, 0x22, 0x4D, 0x18] else { return frame }
        let flags = bytes[4]
        let descriptorLength = 2 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
        guard bytes.count > 4 + descriptorLength else { return frame }
        let stored = bytes[4 + descriptorLength]
        let standard = UInt8(truncatingIfNeeded: xxh32(bytes[4..<(4 + descriptorLength)]) >> 8)
        let legacy = UInt8(truncatingIfNeeded: xxh32(bytes[0..<(4 + descriptorLength)]) >> 8)
        guard stored != standard, stored == legacy else { return frame }
        var fixed = frame
        fixed.setInteger(standard, at: frame.readerIndex + 4 + descriptorLength)
        return fixed
    }

    private static let prime1: UInt32 = 2_654_435_761
    private static let prime2: UInt32 = 2_246_822_519
    private static let prime3: UInt32 = 3_266_489_917
    private static let prime4: UInt32 = 668_265_263
    private static let prime5: UInt32 = 374_761_393

    /// XXH32 with seed 0 (the descriptors hashed here are at most 14 bytes, but any length works).
    static func xxh32(_ input: ArraySlice<UInt8>) -> UInt32 {
        let data = Array(input)
        func lane(_ index: Int) -> UInt32 {
            UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16
                | UInt32(data[index + 3]) << 24
        }
        func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 { value << count | value >> (32 - count) }
        var index = 0
        var hash: UInt32
        if data.count >= 16 {
            var accumulators: [UInt32] = [prime1 &+ prime2, prime2, 0, 0 &- prime1]
            while index + 16 <= data.count {
                for stripe in 0..<4 {
                    accumulators[stripe] =
                        rotate(accumulators[stripe] &+ lane(index + 4 * stripe) &* prime2, 13) &* prime1
                }
                index += 16
            }
            hash =
                rotate(accumulators[0], 1) &+ rotate(accumulators[1], 7) &+ rotate(accumulators[2], 12)
                &+ rotate(accumulators[3], 18)
        } else {
            hash = prime5
        }
        hash = hash &+ UInt32(data.count)
        while index + 4 <= data.count {
            hash = rotate(hash &+ lane(index) &* prime3, 17) &* prime4
            index += 4
        }
        while index < data.count {
            hash = rotate(hash &+ UInt32(data[index]) &* prime5, 11) &* prime1
            index += 1
        }
        hash ^= hash >> 15
        hash = hash &* prime2
        hash ^= hash >> 13
        hash = hash &* prime3
        hash ^= hash >> 16
        return hash
    }
}
