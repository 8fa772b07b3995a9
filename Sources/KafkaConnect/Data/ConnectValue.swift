/// A Connect value (what Java's Connect data API carries as `Object`): one case per schema type, `nil` for null.
/// Logical types travel as their underlying type (a Timestamp is an `.int64` of milliseconds). Maps keep their
/// entries' order, so what is written is what was built. A value type; any thread may use it.
public indirect enum ConnectValue: Sendable, Hashable {
    case boolean(Bool)
    case int8(Int8)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bytes([UInt8])
    case string(String)
    case array([ConnectValue?])
    case map([MapEntry])
    case `struct`(ConnectStruct)

    /// One entry of a map value.
    public struct MapEntry: Sendable, Hashable {
        public var key: ConnectValue?
        public var value: ConnectValue?

        public init(_ key: ConnectValue?, _ value: ConnectValue?) {
            self.key = key
            self.value = value
        }
    }

    /// The schema type this value is an instance of.
    public var schemaType: ConnectSchema.SchemaType {
        switch self {
        case .boolean: .boolean
        case .int8: .int8
        case .int16: .int16
        case .int32: .int32
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bytes: .bytes
        case .string: .string
        case .array: .array
        case .map: .map
        case .struct: .struct
        }
    }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }

    /// An integer value of any width, widened.
    public var integerValue: Int64? {
        switch self {
        case .int8(let v): Int64(v)
        case .int16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .int64(let v): v
        default: nil
        }
    }

    /// The value of a string-keyed map's `key`.
    public subscript(key: String) -> ConnectValue? {
        switch self {
        case .map(let entries): entries.first { $0.key == .string(key) }?.value ?? nil
        case .struct(let value): value[key]
        default: nil
        }
    }

    /// A map with string keys, in the order given.
    public static func stringMap(_ entries: KeyValuePairs<String, ConnectValue?>) -> ConnectValue {
        .map(entries.map { MapEntry(.string($0.key), $0.value) })
    }

    /// Throws unless `value` is valid for `schema` (Java's `ConnectSchema.validateValue`): null only where the
    /// schema is optional or has a default, the right type, members valid for their schemas.
    public static func validate(
        _ value: ConnectValue?,
        for schema: ConnectSchema,
        field: String? = nil
    )
        throws(ConnectDataError)
    {
        guard let value else {
            if schema.isOptional || schema.defaultValue != nil { return }
            throw ConnectDataError(
                field.map { "Invalid value: null used for required field: \"\($0)\", schema type: \(schema.type)" }
                    ?? "Invalid value: null used for required field, schema type: \(schema.type)"
            )
        }
        guard value.schemaType == schema.type else {
            throw ConnectDataError("Invalid Java object for schema type \(schema.type): \(value.schemaType)")
        }
        switch value {
        case .array(let items):
            guard let itemSchema = schema.valueSchema else { return }
            for item in items { try validate(item, for: itemSchema, field: "entry") }
        case .map(let entries):
            for entry in entries {
                if let keySchema = schema.keySchema { try validate(entry.key, for: keySchema, field: "key") }
                if let valueSchema = schema.valueSchema { try validate(entry.value, for: valueSchema, field: "value") }
            }
        case .struct(let value):
            guard value.schema == schema else {
                throw ConnectDataError("Struct schemas do not match.")
            }
            try value.validate()
        default:
            break
        }
    }
}

/// A struct value: its schema and one value per field, in the schema's order. Fields are set by name; `validate`
/// checks that required fields are set (Java's `Struct`).
public struct ConnectStruct: Sendable, Hashable {
    public let schema: ConnectSchema
    public private(set) var values: [ConnectValue?]

    public init(schema: ConnectSchema) {
        precondition(schema.type == .struct, "a struct value needs a struct schema")
        self.schema = schema
        values = Array(repeating: nil, count: schema.fields.count)
    }

    /// The field's value, or its schema's default when unset; nil for a name the schema does not have.
    public subscript(name: String) -> ConnectValue? {
        guard let field = schema.field(name) else { return nil }
        return values[field.index] ?? field.schema.defaultValue
    }

    /// Sets a field, refusing a name the schema does not have or a value its schema does not allow.
    public mutating func set(_ name: String, _ value: ConnectValue?) throws(ConnectDataError) {
        guard let field = schema.field(name) else { throw ConnectDataError("\(name) is not a valid field name") }
        try ConnectValue.validate(value, for: field.schema, field: name)
        values[field.index] = value
    }

    /// Throws unless every field holds a value valid for its schema.
    public func validate() throws(ConnectDataError) {
        for field in schema.fields {
            try ConnectValue.validate(values[field.index], for: field.schema, field: field.name)
        }
    }

    public static func == (a: ConnectStruct, b: ConnectStruct) -> Bool { a.schema == b.schema && a.values == b.values }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(schema.fields.count)
        hasher.combine(values)
    }
}

/// A value and the schema it was read or built with (Java's `SchemaAndValue`); both nil for a null.
public struct SchemaAndValue: Sendable, Equatable {
    public var schema: ConnectSchema?
    public var value: ConnectValue?

    public init(_ schema: ConnectSchema?, _ value: ConnectValue?) {
        self.schema = schema
        self.value = value
    }

    public static let null = SchemaAndValue(nil, nil)
}

/// Data that does not fit its schema or format (Java's `DataException`), with Connect's message.
public struct ConnectDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Java's `RetriableException`: the same operation may succeed later (a schema registry that did not answer),
    /// so the worker retries it for `errors.retry.timeout`.
    public var isRetriable: Bool
    public init(_ message: String, retriable: Bool = false) {
        self.message = message
        self.isRetriable = retriable
    }
    public var description: String { message }
}
