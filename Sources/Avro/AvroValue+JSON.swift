extension AvroValue {
    /// The datum of `schema` written in Avro's JSON encoding (the specification's "JSON Encoding", what Avro's
    /// `JsonDecoder`, fastavro's `json_reader` and Confluent's REST Proxy read): a union is `null` or
    /// `{"<branch type name>": value}` (the full name for a named type), `bytes` and `fixed` are strings whose code
    /// points 0–255 are the bytes, a record is an object with every field (a missing one takes its default).
    public init(avroJSON json: JSONValue, _ schema: AvroSchema, _ document: AvroSchemaDocument) throws(AvroDataError) {
        let resolved = document.resolve(schema)
        switch (resolved, json) {
        case (.primitive(.null, _), .null): self = .null
        case (.primitive(.boolean, _), .bool(let flag)): self = .boolean(flag)
        case (.primitive(.int, _), .number(let number)):
            guard let int = number.integerValue.flatMap(Int32.init(exactly:)) else {
                throw AvroDataError("\(number.text) is not an int")
            }
            self = .int(int)
        case (.primitive(.long, _), .number(let number)):
            guard let long = number.integerValue else { throw AvroDataError("\(number.text) is not a long") }
            self = .long(long)
        case (.primitive(.float, _), .number(let number)): self = .float(Float(number.doubleValue ?? .nan))
        case (.primitive(.double, _), .number(let number)): self = .double(number.doubleValue ?? .nan)
        case (.primitive(.bytes, _), .string(let text)): self = .bytes(try Self.latin1(text))
        case (.primitive(.string, _), .string(let text)): self = .string(text)
        case (.record(let named, let fields, _), .object(let object)):
            var values: [AvroValue] = []
            for field in fields {
                guard let member = object[field.name] ?? field.defaultValue else {
                    throw AvroDataError("record \(named.name) needs field \(field.name)")
                }
                values.append(try AvroValue(avroJSON: member, field.type, document))
            }
            self = .record(values)
        case (.enumeration(let named, let symbols, _), .string(let symbol)):
            guard symbols.contains(symbol) else { throw AvroDataError("\(symbol) is not a symbol of \(named.name)") }
            self = .enumeration(symbol)
        case (.fixed(_, let size), .string(let text)):
            let bytes = try Self.latin1(text)
            guard bytes.count == size else { throw AvroDataError("fixed of \(size) bytes, given \(bytes.count)") }
            self = .fixed(bytes)
        case (.array(let items, _), .array(let elements)):
            var values: [AvroValue] = []
            for element in elements { values.append(try AvroValue(avroJSON: element, items, document)) }
            self = .array(values)
        case (.map(let valueSchema, _), .object(let object)):
            var entries: [String: AvroValue] = [:]
            for member in object.members {
                entries[member.name] = try AvroValue(avroJSON: member.value, valueSchema, document)
            }
            self = .map(entries)
        case (.union(let branches), .null):
            guard let branch = branches.firstIndex(where: { document.resolve($0).isNull }) else {
                throw AvroDataError("null for a union without null")
            }
            self = .union(branch: branch, .null)
        case (.union(let branches), .object(let object)) where object.members.count == 1:
            let (name, member) = object.members[0]
            guard let branch = branches.firstIndex(where: { document.resolve($0).jsonBranchName == name }) else {
                throw AvroDataError("the union has no branch \(name)")
            }
            self = .union(branch: branch, try AvroValue(avroJSON: member, branches[branch], document))
        default:
            throw AvroDataError("\(json.compactText) is not a value of type \(resolved.typeName)")
        }
    }

    private static func latin1(_ text: String) throws(AvroDataError) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { throw AvroDataError("U+\(scalar.value) is not a byte") }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}

extension AvroSchema {
    public var isNull: Bool {
        if case .primitive(.null, _) = self { true } else { false }
    }

    /// How the JSON encoding names this schema as a union branch.
    var jsonBranchName: String {
        switch self {
        case .primitive(let primitive, _): primitive.rawValue
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .reference(let name): name.fullName
        case .record(let named, _, _), .enumeration(let named, _, _), .fixed(let named, _): named.name.fullName
        }
    }
}
