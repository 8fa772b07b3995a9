public import Avro

/// Connect data as Avro, the way Confluent's `AvroData` (Confluent Platform 6.2, `connect.meta.data=true`, the
/// default) maps them, so that records written here read the same through Confluent's `AvroConverter` and the other
/// way round. Connect → Avro: int8 and int16 are `int` with `"connect.type"`, a struct is a record named by the
/// schema's name (`io.confluent.connect.avro.ConnectDefault`, then `ConnectDefault2`… when unnamed), an optional
/// schema is the union `["null", T]` (`[T, "null"]` when it has a default) and an optional field defaults to null, a
/// map with string keys is a `map` and any other map an array of `io.confluent.connect.avro.MapEntry` records, and
/// the schema's doc, version, parameters, default and name ride along as `connect.doc`, `connect.version`,
/// `connect.parameters`, `connect.default`, `connect.name` (in that order, as Java adds them) with Avro's
/// `logicalType` for Decimal (`bytes` with `scale` and `precision`), Date, Time and Timestamp. A struct schema used
/// twice is defined once and referred to by name. Avro → Connect (`AvroData+ToConnect`) reads those back. Not
/// mapped (refused with an error): values without a schema (Java's `Anything` record) and Avro unions other than a
/// type with null. Stateless; any thread.
public enum AvroData {
    public static let namespace = "io.confluent.connect.avro"
    public static let defaultSchemaName = "ConnectDefault"
    public static let mapEntryName = AvroName(name: "MapEntry", namespace: namespace)
    public static let decimalPrecisionParameter = "connect.decimal.precision"
    static let defaultDecimalPrecision = 38

    /// The Avro schema Confluent's converter registers for `schema`.
    public static func avroSchema(_ schema: ConnectSchema) throws(ConnectDataError) -> AvroSchemaDocument {
        var builder = SchemaBuilder()
        let root = try builder.avro(schema, ignoreOptional: false)
        return AvroSchemaDocument(root: root, definitions: builder.definitions)
    }

    /// The Avro datum of `value` (a value of `schema`) in the schema `avroSchema(schema)` made.
    public static func avroValue(_ value: ConnectValue?, _ schema: ConnectSchema) throws(ConnectDataError) -> AvroValue
    {
        try avroValue(value, schema, ignoreOptional: false)
    }

    static func avroValue(
        _ value: ConnectValue?,
        _ schema: ConnectSchema,
        ignoreOptional: Bool
    ) throws(ConnectDataError)
        -> AvroValue
    {
        let value = value ?? schema.defaultValue
        if schema.isOptional && !ignoreOptional {
            // The union's branches: ["null", T], or [T, "null"] when a schema other than a struct has a default.
            let nullBranch = schema.defaultValue == nil || schema.type == .struct ? 0 : 1
            guard let value else { return .union(branch: nullBranch, .null) }
            return .union(branch: 1 - nullBranch, try avroValue(value, schema, ignoreOptional: true))
        }
        guard let value else { throw ConnectDataError("Found null value for non-optional schema") }
        switch (schema.type, value) {
        case (.int8, .int8(let number)): return .int(Int32(number))
        case (.int16, .int16(let number)): return .int(Int32(number))
        case (.int32, .int32(let number)): return .int(number)
        case (.int64, .int64(let number)): return .long(number)
        case (.float32, .float32(let number)): return .float(number)
        case (.float64, .float64(let number)): return .double(number)
        case (.boolean, .boolean(let flag)): return .boolean(flag)
        case (.string, .string(let text)): return .string(text)
        case (.bytes, .bytes(let bytes)): return .bytes(bytes)
        case (.array, .array(let items)):
            guard let itemSchema = schema.valueSchema else { throw ConnectDataError("an array schema without items") }
            var values: [AvroValue] = []
            for item in items { values.append(try avroValue(item, itemSchema, ignoreOptional: false)) }
            return .array(values)
        case (.map, .map(let entries)):
            guard let keySchema = schema.keySchema, let valueSchema = schema.valueSchema else {
                throw ConnectDataError("a map schema without key and value schemas")
            }
            if keySchema.type == .string && !keySchema.isOptional {
                var map: [String: AvroValue] = [:]
                for entry in entries {
                    guard case .string(let key)? = entry.key else {
                        throw ConnectDataError("a map key that is not a string")
                    }
                    map[key] = try avroValue(entry.value, valueSchema, ignoreOptional: false)
                }
                return .map(map)
            }
            var records: [AvroValue] = []
            for entry in entries {
                records.append(
                    .record([
                        try avroValue(entry.key, keySchema, ignoreOptional: false),
                        try avroValue(entry.value, valueSchema, ignoreOptional: false),
                    ])
                )
            }
            return .array(records)
        case (.struct, .struct(let fields)):
            var values: [AvroValue] = []
            for field in schema.fields {
                values.append(try avroValue(fields[field.name], field.schema, ignoreOptional: false))
            }
            return .record(values)
        default:
            throw ConnectDataError("Invalid type for \(schema.type.rawValue.uppercased()): \(value.schemaType)")
        }
    }

    /// Builds one Avro schema, remembering the named types it defined.
    struct SchemaBuilder {
        var definitions: [String: AvroSchema] = [:]
        /// The Connect schema each record name was defined for.
        var defined: [String: ConnectSchema] = [:]
        var unnamedStructs = 0

        mutating func avro(_ schema: ConnectSchema, ignoreOptional: Bool) throws(ConnectDataError) -> AvroSchema {
            if schema.type == .struct && !schema.isOptional,
                let (name, _) = defined.first(where: { $0.value == schema })
            {
                return .reference(AvroName(name, enclosing: nil))
            }
            var connectType: String?
            var base: AvroSchema
            switch schema.type {
            case .int8:
                connectType = "int8"
                base = .primitive(.int, properties: JSONObject())
            case .int16:
                connectType = "int16"
                base = .primitive(.int, properties: JSONObject())
            case .int32: base = .primitive(.int, properties: JSONObject())
            case .int64: base = .primitive(.long, properties: JSONObject())
            case .float32: base = .primitive(.float, properties: JSONObject())
            case .float64: base = .primitive(.double, properties: JSONObject())
            case .boolean: base = .primitive(.boolean, properties: JSONObject())
            case .string: base = .primitive(.string, properties: JSONObject())
            case .bytes:
                var properties = JSONObject()
                if schema.name == ConnectSchema.decimalName {
                    guard let scale = schema.parameters?["scale"].flatMap(Int.init) else {
                        throw ConnectDataError("a Decimal schema without a scale parameter")
                    }
                    let precision = schema.parameters?[AvroData.decimalPrecisionParameter].flatMap(Int.init)
                    properties["scale"] = .number(JSONNumber(String(scale)))
                    properties["precision"] = .number(JSONNumber(String(precision ?? AvroData.defaultDecimalPrecision)))
                }
                base = .primitive(.bytes, properties: properties)
            case .array:
                guard let items = schema.valueSchema else { throw ConnectDataError("an array schema without items") }
                base = .array(items: try avro(items, ignoreOptional: false), properties: JSONObject())
            case .map:
                guard let keys = schema.keySchema, let values = schema.valueSchema else {
                    throw ConnectDataError("a map schema without key and value schemas")
                }
                if keys.type == .string && !keys.isOptional {
                    base = .map(values: try avro(values, ignoreOptional: false), properties: JSONObject())
                } else {
                    let entry = ConnectSchema.struct([("key", keys), ("value", values)])
                    base = .array(items: try record(entry, AvroData.mapEntryName), properties: JSONObject())
                }
            case .struct:
                if schema.isOptional {
                    return .union([
                        .primitive(.null, properties: JSONObject()),
                        try avro(schema.with(optional: false), ignoreOptional: false),
                    ])
                }
                let name: AvroName
                if let full = schema.name {
                    name = AvroName(full, enclosing: nil)
                } else {
                    unnamedStructs += 1
                    let suffix = unnamedStructs == 1 ? "" : String(unnamedStructs)
                    name = AvroName(name: AvroData.defaultSchemaName + suffix, namespace: AvroData.namespace)
                }
                return try record(schema, name, properties: Self.metadata(schema, connectType: nil))
            }
            base.addProperties(try Self.metadata(schema, connectType: connectType))
            guard schema.isOptional && !ignoreOptional else { return base }
            let null = AvroSchema.primitive(.null, properties: JSONObject())
            return .union(schema.defaultValue == nil ? [null, base] : [base, null])
        }

        /// A record for a struct schema, defined under `name`.
        mutating func record(
            _ schema: ConnectSchema,
            _ name: AvroName,
            properties: JSONObject = JSONObject()
        ) throws(ConnectDataError) -> AvroSchema {
            if let earlier = defined[name.fullName] {
                guard earlier == schema else {
                    throw ConnectDataError("Avro cannot define \(name) twice with different schemas")
                }
                return .reference(name)
            }
            defined[name.fullName] = schema
            var fields: [AvroField] = []
            for field in schema.fields {
                let type = try avro(field.schema, ignoreOptional: false)
                let defaultValue: JSONValue? =
                    if let value = field.schema.defaultValue { try AvroData.json(value, field.schema) } else {
                        field.schema.isOptional ? .null : nil
                    }
                fields.append(
                    AvroField(name: field.name, type: type, doc: field.schema.doc, defaultValue: defaultValue)
                )
            }
            let record = AvroSchema.record(
                AvroNamedType(name: name, properties: properties),
                fields: fields,
                isError: false
            )
            definitions[name.fullName] = record
            return record
        }

        /// Java's `connect.*` properties and logical type, in the order Java adds them.
        static func metadata(_ schema: ConnectSchema, connectType: String?) throws(ConnectDataError) -> JSONObject {
            var properties = JSONObject()
            if let doc = schema.doc { properties["connect.doc"] = .string(doc) }
            if let version = schema.version { properties["connect.version"] = .number(JSONNumber(String(version))) }
            if let parameters = schema.parameters {
                properties["connect.parameters"] = .object(
                    JSONObject(parameters.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                )
            }
            if let value = schema.defaultValue { properties["connect.default"] = try AvroData.json(value, schema) }
            if let name = schema.name { properties["connect.name"] = .string(name) }
            if let connectType { properties["connect.type"] = .string(connectType) }
            let logicalType: String? =
                switch schema.name {
                case ConnectSchema.decimalName: "decimal"
                case ConnectSchema.timeName: "time-millis"
                case ConnectSchema.timestampName: "timestamp-millis"
                case ConnectSchema.dateName: "date"
                default: nil
                }
            if let logicalType { properties["logicalType"] = .string(logicalType) }
            return properties
        }
    }

    /// A default value as Avro's JSON writes it in a schema: JsonConverter's plain JSON (structs as objects, maps
    /// with other keys as `[key, value]` pairs, as Java's `defaultValueFromConnect`), except bytes, which Avro writes
    /// as a string of code points 0–255.
    static func json(_ value: ConnectValue, _ schema: ConnectSchema) throws(ConnectDataError) -> JSONValue {
        if case .bytes(let bytes) = value { return .string(String(bytes.map { Character(Unicode.Scalar($0)) })) }
        return try JsonConverter.toJSON(schema: schema, value: value)
    }
}

extension AvroSchema {
    /// Adds properties to a primitive, array, map or named type (a union has none).
    mutating func addProperties(_ added: JSONObject) {
        guard !added.isEmpty else { return }
        func merged(_ properties: JSONObject) -> JSONObject {
            var properties = properties
            for member in added.members { properties[member.name] = member.value }
            return properties
        }
        switch self {
        case .primitive(let primitive, let properties): self = .primitive(primitive, properties: merged(properties))
        case .array(let items, let properties): self = .array(items: items, properties: merged(properties))
        case .map(let values, let properties): self = .map(values: values, properties: merged(properties))
        case .record(var named, let fields, let isError):
            named.properties = merged(named.properties)
            self = .record(named, fields: fields, isError: isError)
        case .enumeration(var named, let symbols, let defaultSymbol):
            named.properties = merged(named.properties)
            self = .enumeration(named, symbols: symbols, defaultSymbol: defaultSymbol)
        case .fixed(var named, let size):
            named.properties = merged(named.properties)
            self = .fixed(named, size: size)
        case .union, .reference: break
        }
    }
}
