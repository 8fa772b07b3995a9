/// Avro's binary encoding (the specification 1.10, "Binary Encoding"), the bytes Confluent's serializers put after
/// their five-byte header: `int` and `long` as zigzag varints, `float` and `double` little-endian IEEE 754,
/// `bytes` and `string` with a `long` length, records as their fields in order, enums as the symbol's index, arrays
/// and maps in blocks (a count, negative when a byte size follows, then the items; a zero count ends them), unions as
/// the branch index then the value, fixed as its bytes. Writes one block per array or map and map entries in key
/// order (any block layout is read). Reading checks every length against what is left, so bad bytes are an
/// `AvroDataError`, never a crash or a huge allocation. Stateless; any thread.
public enum AvroBinary {
    /// Nesting deeper than this is refused when reading (a recursive schema can describe unbounded depth).
    public static let maximumDepth = 256

    /// Appends the binary encoding of `value`, a datum of `schema` (named types looked up in `document`).
    public static func write(
        _ value: AvroValue,
        _ schema: AvroSchema,
        _ document: AvroSchemaDocument,
        to out: inout [UInt8]
    ) throws(AvroDataError) {
        let resolved = document.resolve(schema)
        let mismatch = AvroDataError("a \(value.kind) value does not match the schema type \(resolved.typeName)")
        switch resolved {
        case .primitive(let primitive, _): try writePrimitive(value, primitive, mismatch, to: &out)
        case .record(let named, let fields, _):
            guard case .record(let values) = value else { throw mismatch }
            guard values.count == fields.count else {
                throw AvroDataError("record \(named.name) has \(fields.count) fields, the value \(values.count)")
            }
            for (field, fieldValue) in zip(fields, values) { try write(fieldValue, field.type, document, to: &out) }
        case .enumeration(let named, let symbols, _):
            guard case .enumeration(let symbol) = value else { throw mismatch }
            guard let index = symbols.firstIndex(of: symbol) else {
                throw AvroDataError("\(symbol) is not a symbol of enum \(named.name)")
            }
            writeLong(Int64(index), to: &out)
        case .fixed(let named, let size):
            guard case .fixed(let bytes) = value else { throw mismatch }
            guard bytes.count == size else {
                throw AvroDataError("fixed \(named.name) is \(size) bytes, the value \(bytes.count)")
            }
            out += bytes
        case .array(let items, _):
            guard case .array(let values) = value else { throw mismatch }
            if !values.isEmpty {
                writeLong(Int64(values.count), to: &out)
                for item in values { try write(item, items, document, to: &out) }
            }
            out.append(0)
        case .map(let valueSchema, _):
            guard case .map(let entries) = value else { throw mismatch }
            if !entries.isEmpty {
                writeLong(Int64(entries.count), to: &out)
                for key in entries.keys.sorted() {
                    writeBytes(Array(key.utf8), to: &out)
                    try write(entries[key]!, valueSchema, document, to: &out)
                }
            }
            out.append(0)
        case .union(let branches):
            guard case .union(let branch, let branchValue) = value else { throw mismatch }
            guard branches.indices.contains(branch) else {
                throw AvroDataError("the union has \(branches.count) branches, the value takes branch \(branch)")
            }
            writeLong(Int64(branch), to: &out)
            try write(branchValue, branches[branch], document, to: &out)
        case .reference(let name):
            throw AvroDataError("the schema refers to \(name), which it does not define")
        }
    }

    static func writePrimitive(
        _ value: AvroValue,
        _ primitive: AvroPrimitive,
        _ mismatch: AvroDataError,
        to out: inout [UInt8]
    ) throws(AvroDataError) {
        switch (primitive, value) {
        case (.null, .null): break
        case (.boolean, .boolean(let flag)): out.append(flag ? 1 : 0)
        case (.int, .int(let number)): writeLong(Int64(number), to: &out)
        case (.long, .long(let number)): writeLong(number, to: &out)
        case (.float, .float(let number)): appendLittleEndian(number.bitPattern, to: &out)
        case (.double, .double(let number)): appendLittleEndian(number.bitPattern, to: &out)
        case (.bytes, .bytes(let bytes)): writeBytes(bytes, to: &out)
        case (.string, .string(let text)): writeBytes(Array(text.utf8), to: &out)
        default: throw mismatch
        }
    }

    /// The datum of `schema` at the start of `bytes`, and the bytes it took.
    public static func read(
        _ bytes: ArraySlice<UInt8>,
        _ schema: AvroSchema,
        _ document: AvroSchemaDocument
    ) throws(AvroDataError) -> (value: AvroValue, length: Int) {
        var reader = Reader(bytes: bytes, document: document)
        let value = try reader.value(schema, depth: 0)
        return (value, reader.position - bytes.startIndex)
    }

    /// The datum that is exactly `bytes` (trailing bytes are refused).
    public static func read(
        _ bytes: [UInt8],
        _ schema: AvroSchema,
        _ document: AvroSchemaDocument
    )
        throws(AvroDataError) -> AvroValue
    {
        let (value, length) = try read(bytes[...], schema, document)
        guard length == bytes.count else {
            throw AvroDataError("\(bytes.count - length) bytes left after the datum")
        }
        return value
    }

    static func writeLong(_ number: Int64, to out: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (number << 1) ^ (number >> 63))
        while zigzag >= 0x80 {
            out.append(UInt8(zigzag & 0x7F) | 0x80)
            zigzag >>= 7
        }
        out.append(UInt8(zigzag))
    }

    static func writeBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        writeLong(Int64(bytes.count), to: &out)
        out += bytes
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ number: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: number.littleEndian) { out += $0 }
    }
}

extension AvroValue {
    /// The value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record: "record"
        case .enumeration: "enum"
        case .array: "array"
        case .map: "map"
        case .fixed: "fixed"
        case .union: "union"
        }
    }
}
