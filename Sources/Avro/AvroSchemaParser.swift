/// Why a schema was refused (Avro Java's `SchemaParseException`), in its words where it has them.
public struct AvroSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Parses Avro schema JSON strictly, as Avro Java 1.10's `Schema.Parser` with name validation on: names match
/// `[A-Za-z_][A-Za-z0-9_]*` (each namespace part too), a named type is defined once, a name is used only after its
/// definition, field names and enum symbols are unique, an enum default is one of its symbols, unions hold no
/// union and no two branches of one type (or named types of one name), and — when `validateDefaults` — each
/// field default matches its type (for a union, its first branch). Attributes the specification does not reserve
/// are kept as properties (`logicalType` among them), in their order.
public struct AvroSchemaParser {
    public var validateDefaults: Bool

    public init(validateDefaults: Bool = true) {
        self.validateDefaults = validateDefaults
    }

    static let schemaReserved: Set<String> = [
        "doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases",
    ]
    static let fieldReserved: Set<String> = ["default", "doc", "name", "order", "type", "aliases"]

    public func parse(_ text: String) throws(AvroSchemaError) -> AvroSchemaDocument {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw AvroSchemaError("\(error)")
        }
        return try parse(json)
    }

    /// Parses `json`; the named types of `references` (schemas it imports, parsed before) may be used by name.
    public func parse(
        _ json: JSONValue,
        references: [AvroSchemaDocument] = []
    ) throws(AvroSchemaError) -> AvroSchemaDocument {
        var definitions: [String: AvroSchema] = [:]
        for reference in references { definitions.merge(reference.definitions) { first, _ in first } }
        let imported = Set(definitions.keys)
        let root = try schema(json, namespace: nil, definitions: &definitions)
        return AvroSchemaDocument(root: root, definitions: definitions, imported: imported)
    }

    public func parse(_ text: String, references: [AvroSchemaDocument]) throws(AvroSchemaError) -> AvroSchemaDocument {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw AvroSchemaError("\(error)")
        }
        return try parse(json, references: references)
    }

    func schema(
        _ json: JSONValue,
        namespace: String?,
        definitions: inout [String: AvroSchema]
    ) throws(AvroSchemaError) -> AvroSchema {
        switch json {
        case .string(let name):
            return try reference(name, namespace: namespace, definitions: definitions)
        case .array(let branches):
            var parsed: [AvroSchema] = []
            var seen: Set<String> = []
            for branch in branches {
                let type = try schema(branch, namespace: namespace, definitions: &definitions)
                let resolved = AvroSchemaDocument(root: type, definitions: definitions).resolve(type)
                if case .union = resolved { throw AvroSchemaError("Nested union: \(json.compactText)") }
                let key = resolved.named?.name.fullName ?? resolved.typeName
                guard seen.insert(key).inserted else { throw AvroSchemaError("Duplicate in union:\(key.lowercased())") }
                parsed.append(type)
            }
            return .union(parsed)
        case .object(let object):
            return try definition(object, json: json, namespace: namespace, definitions: &definitions)
        default:
            throw AvroSchemaError("Schema not yet supported: \(json.compactText)")
        }
    }

    func reference(
        _ name: String,
        namespace: String?,
        definitions: [String: AvroSchema]
    ) throws(AvroSchemaError) -> AvroSchema {
        if let primitive = AvroPrimitive(rawValue: name) { return .primitive(primitive, properties: JSONObject()) }
        let qualified = AvroName(name, enclosing: namespace)
        if definitions[qualified.fullName] != nil { return .reference(qualified) }
        if !name.contains("."), definitions[name] != nil { return .reference(AvroName(name: name, namespace: nil)) }
        throw AvroSchemaError("Undefined name: \"\(name)\"")
    }

    func definition(
        _ object: JSONObject,
        json: JSONValue,
        namespace: String?,
        definitions: inout [String: AvroSchema]
    ) throws(AvroSchemaError) -> AvroSchema {
        guard let type = object["type"]?.stringValue else { throw AvroSchemaError("No type: \(json.compactText)") }
        let properties = JSONObject(
            object.members.filter {
                !Self.schemaReserved.contains($0.name) && !(type == "enum" && $0.name == "default")
            }
        )
        if let primitive = AvroPrimitive(rawValue: type) { return .primitive(primitive, properties: properties) }
        switch type {
        case "record", "error", "enum", "fixed":
            let named = try namedType(object, json: json, namespace: namespace, properties: properties)
            guard definitions[named.name.fullName] == nil else {
                throw AvroSchemaError("Can't redefine: \(named.name.fullName)")
            }
            // Defined before its fields are read, so that they may refer to it.
            definitions[named.name.fullName] = .reference(named.name)
            let schema: AvroSchema
            switch type {
            case "enum": schema = try enumeration(object, named: named, json: json)
            case "fixed":
                guard
                    let size = object["size"].flatMap({ value -> Int? in
                        if case .number(let number) = value, let size = number.integerValue, size >= 0,
                            size <= Int32.max
                        {
                            return Int(size)
                        }
                        return nil
                    })
                else { throw AvroSchemaError("Invalid or no size: \(json.compactText)") }
                schema = .fixed(named, size: size)
            default:
                schema = try record(
                    object,
                    named: named,
                    isError: type == "error",
                    json: json,
                    definitions: &definitions
                )
            }
            definitions[named.name.fullName] = schema
            return schema
        case "array":
            guard let items = object["items"] else {
                throw AvroSchemaError("Array has no items type: \(json.compactText)")
            }
            return .array(
                items: try schema(items, namespace: namespace, definitions: &definitions),
                properties: properties
            )
        case "map":
            guard let values = object["values"] else {
                throw AvroSchemaError("Map has no values type: \(json.compactText)")
            }
            return .map(
                values: try schema(values, namespace: namespace, definitions: &definitions),
                properties: properties
            )
        default:
            // {"type": "a.B"} names a defined type.
            return try reference(type, namespace: namespace, definitions: definitions)
        }
    }

    func namedType(
        _ object: JSONObject,
        json: JSONValue,
        namespace: String?,
        properties: JSONObject
    ) throws(AvroSchemaError) -> AvroNamedType {
        guard let text = object["name"]?.stringValue else {
            throw AvroSchemaError("No name in schema: \(json.compactText)")
        }
        var space = namespace
        if let explicit = object["namespace"] {
            guard let value = explicit.stringValue else {
                throw AvroSchemaError("Namespace not a string: \(json.compactText)")
            }
            space = value
        }
        let name = AvroName(text, enclosing: space)
        try Self.validate(name)
        var aliases: [AvroName] = []
        if let list = object["aliases"] {
            guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw AvroSchemaError("aliases not an array of strings: \(json.compactText)")
            }
            for item in items {
                let alias = AvroName(item.stringValue!, enclosing: name.namespace)
                try Self.validate(alias)
                aliases.append(alias)
            }
        }
        return AvroNamedType(name: name, doc: object["doc"]?.stringValue, aliases: aliases, properties: properties)
    }

    func enumeration(_ object: JSONObject, named: AvroNamedType, json: JSONValue) throws(AvroSchemaError) -> AvroSchema
    {
        guard let list = object["symbols"]?.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
            throw AvroSchemaError("Enum has no symbols: \(json.compactText)")
        }
        let symbols = list.map { $0.stringValue! }
        var seen: Set<String> = []
        for symbol in symbols {
            try Self.validateName(symbol)
            guard seen.insert(symbol).inserted else { throw AvroSchemaError("Duplicate enum symbol: \(symbol)") }
        }
        var defaultSymbol: String?
        if let value = object["default"] {
            guard let symbol = value.stringValue, seen.contains(symbol) else {
                throw AvroSchemaError(
                    "The Enum Default: \(value.stringValue ?? value.compactText) is not in the enum symbol set: "
                        + "[\(symbols.joined(separator: ", "))]"
                )
            }
            defaultSymbol = symbol
        }
        return .enumeration(named, symbols: symbols, defaultSymbol: defaultSymbol)
    }

    func record(
        _ object: JSONObject,
        named: AvroNamedType,
        isError: Bool,
        json: JSONValue,
        definitions: inout [String: AvroSchema]
    ) throws(AvroSchemaError) -> AvroSchema {
        guard let list = object["fields"]?.arrayValue else {
            throw AvroSchemaError("Record has no fields: \(json.compactText)")
        }
        var fields: [AvroField] = []
        for item in list {
            guard let field = item.objectValue, let name = field["name"]?.stringValue else {
                throw AvroSchemaError("No field name: \(item.compactText)")
            }
            try Self.validateName(name)
            guard let typeJSON = field["type"] else { throw AvroSchemaError("No field type: \(item.compactText)") }
            guard !fields.contains(where: { $0.name == name }) else {
                throw AvroSchemaError("Duplicate field \(name) in record \(named.name.fullName): \(json.compactText)")
            }
            let type = try schema(typeJSON, namespace: named.name.namespace, definitions: &definitions)
            var order = AvroField.Order.ascending
            if let value = field["order"] {
                guard let text = value.stringValue, let parsed = AvroField.Order(rawValue: text.lowercased()) else {
                    throw AvroSchemaError("Unknown field order: \(value.compactText)")
                }
                order = parsed
            }
            var aliases: [String] = []
            if let value = field["aliases"] {
                guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw AvroSchemaError("aliases not an array of strings: \(item.compactText)")
                }
                aliases = items.map { $0.stringValue! }
            }
            let defaultValue = field["default"]
            if validateDefaults, let defaultValue {
                let document = AvroSchemaDocument(root: type, definitions: definitions)
                guard document.isValidDefault(defaultValue, for: type) else {
                    throw AvroSchemaError(
                        "Invalid default for field \(name): \(defaultValue.compactText) not a "
                            + document.canonicalText(of: type)
                    )
                }
            }
            fields.append(
                AvroField(
                    name: name,
                    type: type,
                    doc: field["doc"]?.stringValue,
                    defaultValue: defaultValue,
                    order: order,
                    aliases: aliases,
                    properties: JSONObject(field.members.filter { !Self.fieldReserved.contains($0.name) })
                )
            )
        }
        return .record(named, fields: fields, isError: isError)
    }

    static func validate(_ name: AvroName) throws(AvroSchemaError) {
        try validateName(name.name)
        for part in (name.namespace ?? "").split(separator: ".", omittingEmptySubsequences: false)
        where name.namespace != nil {
            try validateName(String(part))
        }
    }

    static func validateName(_ name: String) throws(AvroSchemaError) {
        guard let first = name.unicodeScalars.first else { throw AvroSchemaError("Empty name") }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            throw AvroSchemaError("Illegal initial character: \(name)")
        }
        for scalar in name.unicodeScalars.dropFirst()
        where !(scalar == "_" || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))) {
            throw AvroSchemaError("Illegal character in: \(name)")
        }
    }
}

extension AvroSchemaDocument {
    /// Avro Java's `Schema.isValidDefault`: whether `value` is a default of `schema`'s type (a union's: its first
    /// branch's; a record's: each field's, from `value` or the field's own default).
    public func isValidDefault(_ value: JSONValue, for schema: AvroSchema) -> Bool {
        switch resolve(schema) {
        case .primitive(let primitive, _):
            switch (primitive, value) {
            case (.null, .null), (.boolean, .bool), (.string, .string), (.bytes, .string): return true
            case (.int, .number(let number)): return number.integerValue.map { Int32(exactly: $0) != nil } ?? false
            case (.long, .number(let number)): return number.integerValue != nil
            case (.float, .number), (.double, .number): return true
            default: return false
            }
        case .enumeration, .fixed:
            return value.stringValue != nil
        case .array(let items, _):
            guard let elements = value.arrayValue else { return false }
            return elements.allSatisfy { isValidDefault($0, for: items) }
        case .map(let values, _):
            guard let object = value.objectValue else { return false }
            return object.members.allSatisfy { isValidDefault($0.value, for: values) }
        case .union(let branches):
            guard let first = branches.first else { return false }
            return isValidDefault(value, for: first)
        case .record(_, let fields, _):
            guard let object = value.objectValue else { return false }
            return fields.allSatisfy { field in
                guard let fieldValue = object[field.name] ?? field.defaultValue else { return false }
                return isValidDefault(fieldValue, for: field.type)
            }
        case .reference:
            return false
        }
    }
}
