public import KafkaCore
public import NIOCore

/// Writers for Kafka's primitive types, the counterparts of `ByteBuffer+KafkaRead`.
extension ByteBuffer {
    @inlinable
    public mutating func writeKafkaInteger<T: FixedWidthInteger>(_ value: T) {
        writeInteger(value, endianness: .big)
    }

    @inlinable
    public mutating func writeKafkaBool(_ value: Bool) { writeInteger(Int8(value ? 1 : 0)) }

    @inlinable
    public mutating func writeKafkaFloat64(_ value: Double) { writeKafkaInteger(value.bitPattern) }

    public mutating func writeKafkaUUID(_ value: KafkaUUID) {
        writeKafkaInteger(value.mostSignificantBits)
        writeKafkaInteger(value.leastSignificantBits)
    }

    @inlinable
    public mutating func writeUnsignedVarint(_ value: UInt32) {
        writeUnsignedVarlong(UInt64(value))
    }

    /// Up to ten bytes, written with one capacity check (a byte at a time was a hot spot of record encoding).
    @inlinable
    public mutating func writeUnsignedVarlong(_ value: UInt64) {
        if value < 0x80 {
            writeInteger(UInt8(value))
            return
        }
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0
        var rest = value
        while true {
            let byte = UInt64(UInt8(truncatingIfNeeded: rest) & 0x7F) | (rest >= 0x80 ? 0x80 : 0)
            if count < 8 { low |= byte << (8 * UInt64(count)) } else { high |= byte << (8 * UInt64(count - 8)) }
            count += 1
            rest >>= 7
            if rest == 0 { break }
        }
        withUnsafeBytes(of: (low.littleEndian, high.littleEndian)) { bytes in
            writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
        }
    }

    @inlinable
    public mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    @inlinable
    public mutating func writeVarlong(_ value: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// The length prefix of a string, bytes or array; nil writes null (-1).
    @inlinable
    mutating func writeKafkaLength(_ length: Int?, compact: Bool, classicWidth: Int) {
        if compact {
            writeUnsignedVarint(UInt32(length.map { $0 + 1 } ?? 0))
        } else if classicWidth == 2 {
            writeKafkaInteger(Int16(length ?? -1))
        } else {
            writeKafkaInteger(Int32(length ?? -1))
        }
    }

    public mutating func writeKafkaString(_ value: String, compact: Bool) {
        writeKafkaLength(value.utf8.count, compact: compact, classicWidth: 2)
        writeString(value)
    }

    public mutating func writeKafkaNullableString(_ value: String?, compact: Bool) {
        guard let value else { return writeKafkaLength(nil, compact: compact, classicWidth: 2) }
        writeKafkaString(value, compact: compact)
    }

    public mutating func writeKafkaBytes(_ value: [UInt8], compact: Bool) {
        writeKafkaLength(value.count, compact: compact, classicWidth: 4)
        writeBytes(value)
    }

    public mutating func writeKafkaNullableBytes(_ value: [UInt8]?, compact: Bool) {
        guard let value else { return writeKafkaLength(nil, compact: compact, classicWidth: 4) }
        writeKafkaBytes(value, compact: compact)
    }

    public mutating func writeKafkaRecords(_ value: ByteBuffer?, compact: Bool) {
        guard let value else { return writeKafkaLength(nil, compact: compact, classicWidth: 4) }
        writeKafkaLength(value.readableBytes, compact: compact, classicWidth: 4)
        writeImmutableBuffer(value)
    }

    @inlinable
    public mutating func writeKafkaArray<Element>(
        _ value: [Element],
        compact: Bool,
        _ element: (inout ByteBuffer, Element) -> Void
    ) {
        writeKafkaLength(value.count, compact: compact, classicWidth: 4)
        for item in value { element(&self, item) }
    }

    @inlinable
    public mutating func writeKafkaNullableArray<Element>(
        _ value: [Element]?,
        compact: Bool,
        _ element: (inout ByteBuffer, Element) -> Void
    ) {
        guard let value else { return writeKafkaLength(nil, compact: compact, classicWidth: 4) }
        writeKafkaArray(value, compact: compact, element)
    }

    /// One tagged field: tag, size, then what `body` writes.
    public mutating func writeTaggedField(tag: UInt32, _ body: (inout ByteBuffer) -> Void) {
        var scratch = ByteBufferAllocator().buffer(capacity: 16)
        body(&scratch)
        writeUnsignedVarint(tag)
        writeUnsignedVarint(UInt32(scratch.readableBytes))
        writeImmutableBuffer(scratch)
    }
}
