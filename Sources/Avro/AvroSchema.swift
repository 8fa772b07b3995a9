/// A parsed Avro schema (the Avro specification 1.10, as Avro's Java library reads it). Named types (records,
/// enums, fixed) are defined once, where they first appear, and referred to by full name afterwards
/// (`.reference`); `AvroSchemaDocument` keeps the definitions so a reference can be followed. Values; any thread.
public indirect enum AvroSchema: Sendable, Equatable {
    case primitive(AvroPrimitive, properties: JSONObject)
    case record(AvroNamedType, fields: [AvroField], isError: Bool)
    case enumeration(AvroNamedType, symbols: [String], defaultSymbol: String?)
    case fixed(AvroNamedType, size: Int)
    case array(items: AvroSchema, properties: JSONObject)
    case map(values: AvroSchema, properties: JSONObject)
    case union([AvroSchema])
    /// A named type defined earlier in the document, by full name.
    case reference(AvroName)

    /// Avro Java's `Schema.Type` name, as compatibility messages print it (`RECORD`, `INT`, …).
    public var typeName: String {
        switch self {
        case .primitive(let primitive, _): primitive.rawValue.uppercased()
        case .record: "RECORD"
        case .enumeration: "ENUM"
        case .fixed: "FIXED"
        case .array: "ARRAY"
        case .map: "MAP"
        case .union: "UNION"
        case .reference: "REFERENCE"
        }
    }

    /// The named type's name and attributes, for a record, enum or fixed.
    public var named: AvroNamedType? {
        switch self {
        case .record(let named, _, _), .enumeration(let named, _, _), .fixed(let named, _): named
        default: nil
        }
    }
}

/// The eight primitive types.
public enum AvroPrimitive: String, Sendable, CaseIterable {
    case null, boolean, int, long, float, double, bytes, string
}

/// A full name: `name` in `namespace` (nil: the null namespace).
public struct AvroName: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var namespace: String?

    public init(name: String, namespace: String?) {
        self.name = name
        self.namespace = namespace?.isEmpty == true ? nil : namespace
    }

    /// `a.b.C` → C in a.b; an unqualified name takes `enclosing`.
    public init(_ text: String, enclosing: String?) {
        if let dot = text.lastIndex(of: ".") {
            self.init(name: String(text[text.index(after: dot)...]), namespace: String(text[..<dot]))
        } else {
            self.init(name: text, namespace: enclosing)
        }
    }

    public var fullName: String { namespace.map { "\($0).\(name)" } ?? name }
    public var description: String { fullName }

    /// Java's `Name.getQualified(defaultSpace)`: the short name inside its own namespace, else the full name.
    public func qualified(in space: String?) -> String { namespace == nil || namespace == space ? name : fullName }
}

/// What records, enums and fixed types have in common.
public struct AvroNamedType: Sendable, Equatable {
    public var name: AvroName
    public var doc: String?
    /// Full names.
    public var aliases: [AvroName]
    public var properties: JSONObject

    public init(name: AvroName, doc: String? = nil, aliases: [AvroName] = [], properties: JSONObject = JSONObject()) {
        self.name = name
        self.doc = doc
        self.aliases = aliases
        self.properties = properties
    }
}

/// A record field.
public struct AvroField: Sendable, Equatable {
    public enum Order: String, Sendable {
        case ascending, descending, ignore
    }

    public var name: String
    public var type: AvroSchema
    public var doc: String?
    public var defaultValue: JSONValue?
    public var order: Order
    public var aliases: [String]
    public var properties: JSONObject

    public init(
        name: String,
        type: AvroSchema,
        doc: String? = nil,
        defaultValue: JSONValue? = nil,
        order: Order = .ascending,
        aliases: [String] = [],
        properties: JSONObject = JSONObject()
    ) {
        self.name = name
        self.type = type
        self.doc = doc
        self.defaultValue = defaultValue
        self.order = order
        self.aliases = aliases
        self.properties = properties
    }
}

/// A whole schema as parsed from one JSON text: its root and the named types it defines, by full name.
public struct AvroSchemaDocument: Sendable, Equatable {
    public var root: AvroSchema
    public var definitions: [String: AvroSchema]
    /// The full names defined by the schemas this one imports (Confluent's references): the canonical text names
    /// them without defining them (Avro Java's `Schema.toString(referencedSchemas, false)`).
    public var imported: Set<String>

    public init(root: AvroSchema, definitions: [String: AvroSchema], imported: Set<String> = []) {
        self.root = root
        self.definitions = definitions
        self.imported = imported
    }

    /// Follows a reference to its definition; any other schema is returned as it is.
    public func resolve(_ schema: AvroSchema) -> AvroSchema {
        if case .reference(let name) = schema, let definition = definitions[name.fullName] { return definition }
        return schema
    }
}
