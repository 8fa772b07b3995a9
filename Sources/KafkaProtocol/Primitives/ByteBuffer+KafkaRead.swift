public import KafkaCore
public import NIOCore

/// Readers for Kafka's primitive types (big-endian integers, classic and compact strings, bytes and arrays,
/// unsigned and zig-zag varints, tagged-field sections). Each consumes what it reads; on error the reader index
/// is left wherever the failure was found (the whole message is rejected anyway).
extension ByteBuffer {
    @inlinable
    public mutating func readKafkaInteger<T: FixedWidthInteger>(
        _: T.Type = T.self,
        field: StaticString = "integer"
    )
        throws(ProtocolError) -> T
    {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw .truncated(field: "\(field)")
        }
        return value
    }

    @inlinable
    public mutating func readKafkaBool() throws(ProtocolError) -> Bool {
        try readKafkaInteger(Int8.self, field: "bool") != 0
    }

    @inlinable
    public mutating func readKafkaFloat64() throws(ProtocolError) -> Double {
        Double(bitPattern: try readKafkaInteger(UInt64.self, field: "float64"))
    }

    public mutating func readKafkaUUID() throws(ProtocolError) -> KafkaUUID {
        let most = try readKafkaInteger(UInt64.self, field: "uuid")
        let least = try readKafkaInteger(UInt64.self, field: "uuid")
        return KafkaUUID(mostSignificantBits: most, leastSignificantBits: least)
    }

    /// An unsigned LEB128 varint of at most 5 bytes (compact lengths, tagged-field headers).
    @inlinable
    public mutating func readUnsignedVarint() throws(ProtocolError) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw .truncated(field: "varint") }
            if shift == 28 && byte > 0x0F { throw .malformedVarint }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zig-zag varint of at most 5 bytes (record fields).
    @inlinable
    public mutating func readVarint() throws(ProtocolError) -> Int32 {
        let raw = try readUnsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A zig-zag varlong of at most 10 bytes (record timestamps).
    @inlinable
    public mutating func readVarlong() throws(ProtocolError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw .truncated(field: "varlong") }
            if shift == 63 && byte > 0x01 { throw .malformedVarint }
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// The length prefix of a string, bytes or array: int16/int32 classic, or uvarint N+1 compact. Returns nil
    /// for null (-1); throws for other negative lengths and for lengths beyond the bytes left.
    @inlinable
    mutating func readKafkaLength(compact: Bool, classicWidth: Int, field: StaticString) throws(ProtocolError) -> Int? {
        let length: Int64
        if compact {
            length = Int64(try readUnsignedVarint()) - 1
        } else if classicWidth == 2 {
            length = Int64(try readKafkaInteger(Int16.self, field: field))
        } else {
            length = Int64(try readKafkaInteger(Int32.self, field: field))
        }
        if length == -1 { return nil }
        guard length >= 0 else { throw .invalidLength(length, field: "\(field)") }
        guard length <= readableBytes else {
            throw .lengthExceedsRemaining(length, remaining: readableBytes, field: "\(field)")
        }
        return Int(length)
    }

    public mutating func readKafkaNullableString(
        compact: Bool,
        field: StaticString = "string"
    ) throws(ProtocolError)
        -> String?
    {
        guard let length = try readKafkaLength(compact: compact, classicWidth: 2, field: field) else { return nil }
        do {
            guard let string = try readUTF8ValidatedString(length: length) else {
                throw ProtocolError.truncated(field: "\(field)")
            }
            return string
        } catch {
            throw .invalidUTF8(field: "\(field)")
        }
    }

    public mutating func readKafkaString(compact: Bool, field: StaticString = "string") throws(ProtocolError) -> String
    {
        guard let string = try readKafkaNullableString(compact: compact, field: field) else {
            throw .unexpectedNull(field: "\(field)")
        }
        return string
    }

    /// A nullable string whose null is legal only when `nullable` (the version's rule).
    public mutating func readKafkaNullableString(
        compact: Bool,
        nullable: Bool,
        field: StaticString = "string"
    )
        throws(ProtocolError) -> String?
    {
        let string = try readKafkaNullableString(compact: compact, field: field)
        if string == nil && !nullable { throw .unexpectedNull(field: "\(field)") }
        return string
    }

    public mutating func readKafkaNullableBytes(
        compact: Bool,
        nullable: Bool = true,
        field: StaticString = "bytes"
    )
        throws(ProtocolError) -> [UInt8]?
    {
        guard let length = try readKafkaLength(compact: compact, classicWidth: 4, field: field) else {
            if !nullable { throw .unexpectedNull(field: "\(field)") }
            return nil
        }
        return readBytes(length: length)
    }

    public mutating func readKafkaBytes(compact: Bool, field: StaticString = "bytes") throws(ProtocolError) -> [UInt8] {
        guard let bytes = try readKafkaNullableBytes(compact: compact, nullable: false, field: field) else {
            throw .unexpectedNull(field: "\(field)")
        }
        return bytes
    }

    /// A records field: a slice of this buffer that shares its storage (no copy).
    public mutating func readKafkaRecords(
        compact: Bool,
        field: StaticString = "records"
    ) throws(ProtocolError)
        -> ByteBuffer?
    {
        guard let length = try readKafkaLength(compact: compact, classicWidth: 4, field: field) else { return nil }
        return readSlice(length: length)
    }

    /// An array; `element` reads one element. Kafka's own guard: a count larger than the bytes left is an error.
    @inlinable
    public mutating func readKafkaNullableArray<Element>(
        compact: Bool,
        nullable: Bool = true,
        field: StaticString = "array",
        _ element: (inout ByteBuffer) throws(ProtocolError) -> Element
    ) throws(ProtocolError) -> [Element]? {
        guard let count = try readKafkaLength(compact: compact, classicWidth: 4, field: field) else {
            if !nullable { throw .unexpectedNull(field: "\(field)") }
            return nil
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try element(&self)) }
        return elements
    }

    @inlinable
    public mutating func readKafkaArray<Element>(
        compact: Bool,
        field: StaticString = "array",
        _ element: (inout ByteBuffer) throws(ProtocolError) -> Element
    ) throws(ProtocolError) -> [Element] {
        guard let elements = try readKafkaNullableArray(compact: compact, nullable: false, field: field, element)
        else { throw .unexpectedNull(field: "\(field)") }
        return elements
    }

    /// A tagged-field section: calls `handler` with each field's tag and its bytes; the handler reads the tags
    /// it knows and ignores the rest (unknown tags are skipped, as the protocol requires).
    @inlinable
    public mutating func readTaggedFields(
        _ handler: (UInt32, inout ByteBuffer) throws(ProtocolError) -> Void
    ) throws(ProtocolError) {
        let count = try readUnsignedVarint()
        guard count <= readableBytes else {
            throw .lengthExceedsRemaining(Int64(count), remaining: readableBytes, field: "tagged fields")
        }
        for _ in 0..<count {
            let tag = try readUnsignedVarint()
            let size = Int(try readUnsignedVarint())
            guard var data = readSlice(length: size) else {
                throw .lengthExceedsRemaining(Int64(size), remaining: readableBytes, field: "tagged field")
            }
            try handler(tag, &data)
        }
    }

    /// Skips a tagged-field section.
    @inlinable
    public mutating func skipTaggedFields() throws(ProtocolError) {
        try readTaggedFields { _, _ throws(ProtocolError) in }
    }

    /// A nullable struct's presence marker (int8: -1 null, 1 present).
    @inlinable
    public mutating func readKafkaStructPresence(nullable: Bool, field: StaticString) throws(ProtocolError) -> Bool {
        let marker = try readKafkaInteger(Int8.self, field: field)
        if marker < 0 {
            if !nullable { throw .unexpectedNull(field: "\(field)") }
            return false
        }
        return true
    }
}
