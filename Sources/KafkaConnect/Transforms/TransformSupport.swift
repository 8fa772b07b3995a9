/// Helpers the transforms share (Java's `Requirements` and `SchemaUtil`): the checks with Kafka's messages, and
/// struct schemas rebuilt with other fields.
enum TransformSupport {
    /// A schemaless value's entries; Kafka's error for anything but a map.
    static func requireMap(
        _ value: ConnectValue?,
        _ purpose: String
    ) throws(ConnectDataError) -> [ConnectValue.MapEntry] {
        guard case .map(let entries)? = value else {
            throw ConnectDataError(
                "Only Map objects supported in absence of schema for [\(purpose)], found: \(typeName(value))"
            )
        }
        return entries
    }

    static func requireStruct(_ value: ConnectValue?, _ purpose: String) throws(ConnectDataError) -> ConnectStruct {
        guard case .struct(let value)? = value else {
            throw ConnectDataError("Only Struct objects supported for [\(purpose)], found: \(typeName(value))")
        }
        return value
    }

    static func typeName(_ value: ConnectValue?) -> String { value.map { "\($0.schemaType)" } ?? "null" }

    /// A struct schema with `schema`'s name, version, doc, parameters and optionality, and these fields.
    static func structSchema(
        like schema: ConnectSchema,
        fields: [(name: String, schema: ConnectSchema)]
    )
        -> ConnectSchema
    {
        ConnectSchema(
            type: .struct,
            optional: schema.isOptional,
            name: schema.name,
            version: schema.version,
            doc: schema.doc,
            parameters: schema.parameters,
            fields: fields
        )
    }

    /// A struct of `schema` with these field values (fields not named stay unset).
    static func makeStruct(
        _ schema: ConnectSchema,
        _ values: [String: ConnectValue?]
    ) throws(ConnectDataError)
        -> ConnectValue
    {
        var result = ConnectStruct(schema: schema)
        for field in schema.fields {
            if let value = values[field.name] { try result.set(field.name, value) }
        }
        return .struct(result)
    }

    /// The non-empty value of a setting that has no default; Kafka's ConfigException message otherwise.
    static func required(_ config: [String: String], _ key: String) throws(ConnectConfigError) -> String {
        guard let value = config[key], !value.isEmpty else {
            throw ConnectConfigError("Missing required configuration \"\(key)\" which has no default value.")
        }
        return value
    }

    /// Comma-separated names, trimmed, empty ones dropped.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Sets `key` in a map's entries (replacing an entry with the same key, else appending).
    static func put(_ entries: inout [ConnectValue.MapEntry], _ key: String, _ value: ConnectValue?) {
        if let index = entries.firstIndex(where: { $0.key == .string(key) }) {
            entries[index].value = value
        } else {
            entries.append(.init(.string(key), value))
        }
    }
}
