/// A generic Avro datum (Avro Java's `GenericData`): a value of some `AvroSchema`, as `AvroBinary` reads and writes
/// it. A record holds its field values in the schema's field order; a union value names the branch it took, by
/// position in the union; an enum symbol is held by name. Values; any thread.
public indirect enum AvroValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    /// Field values in the record schema's field order.
    case record([AvroValue])
    case enumeration(String)
    case array([AvroValue])
    case map([String: AvroValue])
    case fixed([UInt8])
    /// The union branch taken (its position in the union) and the value of that branch's schema.
    case union(branch: Int, AvroValue)
}

/// A datum that does not match its schema, or bytes that are not a datum of the schema.
public struct AvroDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
