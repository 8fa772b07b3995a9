/// A Connect schema (Java's `org.apache.kafka.connect.data.Schema`): a type, whether the value may be null, an
/// optional name (logical types are named, e.g. `org.apache.kafka.connect.data.Timestamp` on int64), version, doc,
/// parameters and default, and for the container types their members: a struct's fields in order, an array's item
/// schema, a map's key and value schemas. Immutable and shared (a class, because schemas nest); any thread may
/// read it. Equality is structural, as Java's `ConnectSchema.equals`.
public final class ConnectSchema: Sendable, Equatable, CustomStringConvertible {
    /// Java's `Schema.Type`, spelled as the JSON schema envelope spells it.
    public enum SchemaType: String, Sendable, CaseIterable {
        case int8, int16, int32, int64, float32, float64, boolean, string, bytes, array, map
        case `struct`

        /// The name JsonConverter writes (`float` and `double` for the floating types).
        public var jsonName: String {
            switch self {
            case .float32: "float"
            case .float64: "double"
            default: rawValue
            }
        }

        public init?(jsonName: String) {
            switch jsonName {
            case "float": self = .float32
            case "double": self = .float64
            case "float32", "float64": return nil
            default: self.init(rawValue: jsonName)
            }
        }

        public var isPrimitive: Bool { self != .array && self != .map && self != .struct }
    }

    /// One field of a struct schema: its name, position and schema.
    public struct Field: Sendable, Equatable {
        public let name: String
        public let index: Int
        public let schema: ConnectSchema
    }

    public let type: SchemaType
    public let isOptional: Bool
    public let name: String?
    public let version: Int32?
    public let doc: String?
    public let parameters: [String: String]?
    public let defaultValue: ConnectValue?
    public let fields: [Field]
    /// A map's key schema.
    public let keySchema: ConnectSchema?
    /// An array's item schema or a map's value schema.
    public let valueSchema: ConnectSchema?

    public init(
        type: SchemaType,
        optional: Bool = false,
        name: String? = nil,
        version: Int32? = nil,
        doc: String? = nil,
        parameters: [String: String]? = nil,
        defaultValue: ConnectValue? = nil,
        fields: [(name: String, schema: ConnectSchema)] = [],
        keySchema: ConnectSchema? = nil,
        valueSchema: ConnectSchema? = nil
    ) {
        self.type = type
        self.isOptional = optional
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters = parameters
        self.defaultValue = defaultValue
        self.fields = fields.enumerated().map { Field(name: $1.name, index: $0, schema: $1.schema) }
        self.keySchema = keySchema
        self.valueSchema = valueSchema
    }

    /// The field named `name` of a struct schema.
    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    /// The same schema, optional or required.
    public func with(optional: Bool) -> ConnectSchema {
        ConnectSchema(
            type: type,
            optional: optional,
            name: name,
            version: version,
            doc: doc,
            parameters: parameters,
            defaultValue: defaultValue,
            fields: fields.map { ($0.name, $0.schema) },
            keySchema: keySchema,
            valueSchema: valueSchema
        )
    }

    public static func == (a: ConnectSchema, b: ConnectSchema) -> Bool {
        a === b
            || (a.type == b.type && a.isOptional == b.isOptional && a.name == b.name && a.version == b.version
                && a.doc == b.doc && a.parameters == b.parameters && a.defaultValue == b.defaultValue
                && a.fields == b.fields && a.keySchema == b.keySchema && a.valueSchema == b.valueSchema)
    }

    public var description: String {
        "Schema{" + (name.map { "\($0):" } ?? "") + type.rawValue.uppercased() + "}"
    }

    // MARK: Java's predefined schemas

    public static let int8 = ConnectSchema(type: .int8)
    public static let int16 = ConnectSchema(type: .int16)
    public static let int32 = ConnectSchema(type: .int32)
    public static let int64 = ConnectSchema(type: .int64)
    public static let float32 = ConnectSchema(type: .float32)
    public static let float64 = ConnectSchema(type: .float64)
    public static let boolean = ConnectSchema(type: .boolean)
    public static let string = ConnectSchema(type: .string)
    public static let bytes = ConnectSchema(type: .bytes)
    public static let optionalInt32 = ConnectSchema(type: .int32, optional: true)
    public static let optionalInt64 = ConnectSchema(type: .int64, optional: true)
    public static let optionalString = ConnectSchema(type: .string, optional: true)
    public static let optionalBytes = ConnectSchema(type: .bytes, optional: true)

    public static func array(of items: ConnectSchema, optional: Bool = false) -> ConnectSchema {
        ConnectSchema(type: .array, optional: optional, valueSchema: items)
    }

    public static func map(_ keys: ConnectSchema, _ values: ConnectSchema, optional: Bool = false) -> ConnectSchema {
        ConnectSchema(type: .map, optional: optional, keySchema: keys, valueSchema: values)
    }

    public static func `struct`(
        name: String? = nil,
        optional: Bool = false,
        _ fields: [(name: String, schema: ConnectSchema)]
    ) -> ConnectSchema {
        ConnectSchema(type: .struct, optional: optional, name: name, fields: fields)
    }

    // MARK: Logical types (Java's `Decimal`, `Date`, `Time`, `Timestamp`)

    public static let timestampName = "org.apache.kafka.connect.data.Timestamp"
    public static let dateName = "org.apache.kafka.connect.data.Date"
    public static let timeName = "org.apache.kafka.connect.data.Time"
    public static let decimalName = "org.apache.kafka.connect.data.Decimal"
    /// Timestamp: milliseconds since the epoch in an int64.
    public static let timestamp = ConnectSchema(type: .int64, name: timestampName, version: 1)
    /// Date: days since the epoch in an int32.
    public static let date = ConnectSchema(type: .int32, name: dateName, version: 1)
    /// Time: milliseconds since midnight in an int32.
    public static let time = ConnectSchema(type: .int32, name: timeName, version: 1)

    /// Decimal: the unscaled value's two's-complement big-endian bytes; the scale in the `scale` parameter.
    public static func decimal(scale: Int32, optional: Bool = false) -> ConnectSchema {
        ConnectSchema(
            type: .bytes,
            optional: optional,
            name: decimalName,
            version: 1,
            parameters: ["scale": String(scale)]
        )
    }
}
