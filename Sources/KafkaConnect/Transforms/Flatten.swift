/// `org.apache.kafka.connect.transforms.Flatten$Key|$Value`: nested structs (with a schema) or maps (without)
/// become top-level fields named by their path joined with `delimiter` (default `.`): `{"a":{"b":1}}` becomes
/// `{"a.b":1}`. A field under an optional struct becomes optional. Arrays are kept as they are.
public struct Flatten: Transformation {
    let side: RecordSide
    let delimiter: String

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        delimiter = config["delimiter"] ?? "."
    }

    func name(_ prefix: String, _ field: String) -> String { prefix.isEmpty ? field : prefix + delimiter + field }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        guard let schema = side.schema(of: record) else {
            if value == nil { return record }
            var flat: [ConnectValue.MapEntry] = []
            func walk(_ entries: [ConnectValue.MapEntry], _ prefix: String) throws(ConnectDataError) {
                for entry in entries {
                    guard case .string(let key)? = entry.key else {
                        throw ConnectDataError("Flatten only supports maps with string keys")
                    }
                    if case .map(let inner)? = entry.value {
                        try walk(inner, name(prefix, key))
                    } else {
                        flat.append(.init(.string(name(prefix, key)), entry.value))
                    }
                }
            }
            try walk(try TransformSupport.requireMap(value, "flattening"), "")
            return side.replacing(record, schema: nil, value: .map(flat))
        }
        guard schema.type == .struct else { return record }
        var fields: [(name: String, schema: ConnectSchema)] = []
        func flattenSchema(_ schema: ConnectSchema, _ prefix: String, _ optional: Bool) {
            for field in schema.fields {
                if field.schema.type == .struct {
                    flattenSchema(field.schema, name(prefix, field.name), optional || field.schema.isOptional)
                } else {
                    fields.append(
                        (name(prefix, field.name), optional ? field.schema.with(optional: true) : field.schema)
                    )
                }
            }
        }
        flattenSchema(schema, "", false)
        let updated = TransformSupport.structSchema(like: schema, fields: fields)
        if value == nil { return side.replacing(record, schema: updated, value: nil) }
        var values: [String: ConnectValue?] = [:]
        func flattenValue(_ value: ConnectStruct?, _ schema: ConnectSchema, _ prefix: String) {
            for field in schema.fields {
                let fieldValue = value?[field.name]
                if field.schema.type == .struct {
                    if case .struct(let inner)? = fieldValue {
                        flattenValue(inner, field.schema, name(prefix, field.name))
                    } else {
                        flattenValue(nil, field.schema, name(prefix, field.name))
                    }
                } else {
                    values[name(prefix, field.name)] = fieldValue
                }
            }
        }
        flattenValue(try TransformSupport.requireStruct(value, "flattening"), schema, "")
        return side.replacing(record, schema: updated, value: try TransformSupport.makeStruct(updated, values))
    }
}
