/// The schema's text as Avro Java's `Schema.toString()` writes it — the text Confluent Schema Registry stores,
/// returns and hashes for ids: compact JSON; a primitive without properties as just `"int"`; records as `type,
/// name, namespace (when it differs from the enclosing one), doc, fields, properties, aliases`; fields as `name,
/// type, doc, default, order (unless ascending), aliases, properties`; enums with `symbols` then `default`; fixed
/// with `size`; a named type in full where it first appears and by name (short inside its own namespace)
/// afterwards.
extension AvroSchemaDocument {
    public var canonicalText: String {
        var writer = CanonicalWriter(document: self)
        writer.written = imported
        writer.write(root)
        return writer.out
    }

    /// The text of any part of this document, written as a schema of its own (named types it uses in full).
    public func canonicalText(of schema: AvroSchema) -> String {
        var writer = CanonicalWriter(document: self)
        writer.write(schema)
        return writer.out
    }
}

struct CanonicalWriter {
    let document: AvroSchemaDocument
    var out = ""
    var written: Set<String> = []
    var space: String?

    init(document: AvroSchemaDocument) { self.document = document }

    mutating func write(_ schema: AvroSchema) {
        switch schema {
        case .primitive(let primitive, let properties):
            if properties.isEmpty {
                JSONValue.writeString(primitive.rawValue, to: &out)
            } else {
                out += "{\"type\":"
                JSONValue.writeString(primitive.rawValue, to: &out)
                writeProperties(properties)
                out += "}"
            }
        case .reference(let name):
            if written.contains(name.fullName) || document.definitions[name.fullName] == nil {
                JSONValue.writeString(name.qualified(in: space), to: &out)
            } else {
                write(document.definitions[name.fullName]!)
            }
        case .record(let named, let fields, let isError):
            guard begin(named, type: isError ? "error" : "record") else { return }
            let saved = space
            space = named.name.namespace
            if let doc = named.doc { member("doc", .string(doc)) }
            out += ",\"fields\":["
            for (index, field) in fields.enumerated() {
                if index > 0 { out += "," }
                out += "{\"name\":"
                JSONValue.writeString(field.name, to: &out)
                out += ",\"type\":"
                write(field.type)
                if let doc = field.doc { member("doc", .string(doc)) }
                if let value = field.defaultValue {
                    out += ",\"default\":"
                    Self.jacksonJSON(value).write(to: &out)
                }
                if field.order != .ascending { member("order", .string(field.order.rawValue)) }
                if !field.aliases.isEmpty { member("aliases", .array(field.aliases.map { .string($0) })) }
                writeProperties(field.properties)
                out += "}"
            }
            out += "]"
            writeProperties(named.properties)
            writeAliases(named)
            out += "}"
            space = saved
        case .enumeration(let named, let symbols, let defaultSymbol):
            guard begin(named, type: "enum") else { return }
            if let doc = named.doc { member("doc", .string(doc)) }
            member("symbols", .array(symbols.map { .string($0) }))
            if let defaultSymbol { member("default", .string(defaultSymbol)) }
            writeProperties(named.properties)
            writeAliases(named)
            out += "}"
        case .fixed(let named, let size):
            guard begin(named, type: "fixed") else { return }
            if let doc = named.doc { member("doc", .string(doc)) }
            member("size", .number(JSONNumber(String(size))))
            writeProperties(named.properties)
            writeAliases(named)
            out += "}"
        case .array(let items, let properties):
            out += "{\"type\":\"array\",\"items\":"
            write(items)
            writeProperties(properties)
            out += "}"
        case .map(let values, let properties):
            out += "{\"type\":\"map\",\"values\":"
            write(values)
            writeProperties(properties)
            out += "}"
        case .union(let branches):
            out += "["
            for (index, branch) in branches.enumerated() {
                if index > 0 { out += "," }
                write(branch)
            }
            out += "]"
        }
    }

    /// Writes `{"type":…,"name":…[,"namespace":…]` for a named type's first appearance, or its name (returning
    /// false) when already written.
    mutating func begin(_ named: AvroNamedType, type: String) -> Bool {
        guard written.insert(named.name.fullName).inserted else {
            JSONValue.writeString(named.name.qualified(in: space), to: &out)
            return false
        }
        out += "{\"type\":"
        JSONValue.writeString(type, to: &out)
        member("name", .string(named.name.name))
        if let namespace = named.name.namespace {
            if namespace != space { member("namespace", .string(namespace)) }
        } else if space != nil {
            member("namespace", .string(""))
        }
        return true
    }

    mutating func writeAliases(_ named: AvroNamedType) {
        guard !named.aliases.isEmpty else { return }
        member("aliases", .array(named.aliases.map { .string($0.qualified(in: named.name.namespace)) }))
    }

    mutating func writeProperties(_ properties: JSONObject) {
        for (name, value) in properties.members { member(name, Self.jacksonJSON(value)) }
    }

    mutating func member(_ name: String, _ value: JSONValue) {
        out += ","
        JSONValue.writeString(name, to: &out)
        out += ":"
        value.write(to: &out)
    }

    /// A value as Jackson's tree writes it back: integers without leading signs of zero, other numbers as Java's
    /// `Double.toString`.
    static func jacksonJSON(_ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let number):
            if let integer = number.integerValue { return .number(JSONNumber(String(integer))) }
            if number.isInteger { return value }
            return .number(JSONNumber(java: number.doubleValue ?? 0))
        case .array(let items): return .array(items.map(jacksonJSON))
        case .object(let object): return .object(JSONObject(object.members.map { ($0.name, jacksonJSON($0.value)) }))
        default: return value
        }
    }
}

extension JSONValue {
    /// The value as Jackson's tree writes it back (integers plainly, other numbers as Java's `Double.toString`).
    public var jacksonNormalized: JSONValue { CanonicalWriter.jacksonJSON(self) }
}
