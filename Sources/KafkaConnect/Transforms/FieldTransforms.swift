/// `org.apache.kafka.connect.transforms.ExtractField$Key|$Value`: replaces the key or value with its `field`
/// (a struct's field with that field's schema, or a map's entry); a null stays null.
public struct ExtractField: Transformation {
    let side: RecordSide
    let field: String

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        let field = try TransformSupport.required(config, "field")
        self.field = field
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        guard let schema = side.schema(of: record) else {
            if value == nil { return side.replacing(record, schema: nil, value: nil) }
            let entries = try TransformSupport.requireMap(value, "field extraction")
            return side.replacing(record, schema: nil, value: entries.first { $0.key == .string(field) }?.value ?? nil)
        }
        guard let fieldSchema = schema.field(field)?.schema else {
            throw ConnectDataError("Unknown field: \(field)")
        }
        if value == nil { return side.replacing(record, schema: fieldSchema, value: nil) }
        let structValue = try TransformSupport.requireStruct(value, "field extraction")
        return side.replacing(record, schema: fieldSchema, value: structValue[field])
    }
}

/// `org.apache.kafka.connect.transforms.HoistField$Key|$Value`: wraps the key or value in a struct (with a
/// schema: one field `field` of the original schema) or a map (without one) under `field`.
public struct HoistField: Transformation {
    let side: RecordSide
    let field: String

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        let field = try TransformSupport.required(config, "field")
        self.field = field
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        guard let schema = side.schema(of: record) else {
            return side.replacing(record, schema: nil, value: .map([.init(.string(field), value)]))
        }
        let updated = ConnectSchema.struct([(field, schema)])
        return side.replacing(record, schema: updated, value: try TransformSupport.makeStruct(updated, [field: value]))
    }
}

/// `org.apache.kafka.connect.transforms.ValueToKey`: the key becomes the value's `fields` (a struct of those
/// fields with their schemas, or a map without a schema).
public struct ValueToKey: Transformation {
    let fields: [String]

    public init(config: [String: String]) throws(ConnectConfigError) {
        fields = TransformSupport.list(config["fields"])
        guard !fields.isEmpty else {
            throw ConnectConfigError("Missing required configuration \"fields\" which has no default value.")
        }
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        var copy = record
        guard let schema = record.valueSchema else {
            let entries = try TransformSupport.requireMap(record.value, "copying fields from value to key")
            copy.key = .map(
                fields.map { name in .init(.string(name), entries.first { $0.key == .string(name) }?.value ?? nil) }
            )
            copy.keySchema = nil
            return copy
        }
        let value = try TransformSupport.requireStruct(record.value, "copying fields from value to key")
        var keyFields: [(name: String, schema: ConnectSchema)] = []
        for name in fields {
            guard let field = schema.field(name) else {
                throw ConnectDataError("Field does not exist: \(name)")
            }
            keyFields.append((name, field.schema))
        }
        let keySchema = ConnectSchema.struct(keyFields)
        var values: [String: ConnectValue?] = [:]
        for name in fields { values[name] = value[name] }
        copy.keySchema = keySchema
        copy.key = try TransformSupport.makeStruct(keySchema, values)
        return copy
    }
}
