public import Avro

/// Avro → Connect, as Confluent's `AvroData.toConnectSchema` / `toConnectData` read: the `connect.*` properties
/// first (name, version, doc, parameters, default, `connect.type` int8/int16), then Avro's own: a record is a
/// struct named by its full name (`ConnectDefault…` names read back as unnamed), `["null", T]` in either order an
/// optional T, an array of `io.confluent.connect.avro.MapEntry` records a map, an enum a string with the
/// `io.confluent.connect.avro.Enum` parameters, fixed bytes, the logical types decimal, date, time-millis and
/// timestamp-millis Connect's Decimal, Date, Time and Timestamp. Recursive records and other unions are refused.
extension AvroData {
    public static let enumParameter = namespace + ".Enum"

    /// The Connect schema of an Avro schema.
    public static func connectSchema(_ document: AvroSchemaDocument) throws(ConnectDataError) -> ConnectSchema {
        var reading: Set<String> = []
        return try connect(document.root, document, optional: false, field: nil, reading: &reading)
    }

    /// The Connect value of `value`, a datum of `avro`, as `schema` (`connectSchema` of the same Avro schema).
    public static func connectValue(
        _ value: AvroValue,
        _ avro: AvroSchema,
        _ document: AvroSchemaDocument,
        _ schema: ConnectSchema
    ) throws(ConnectDataError) -> ConnectValue? {
        switch (document.resolve(avro), value) {
        case (.union(let branches), .union(let branch, let branchValue)):
            guard branches.indices.contains(branch) else { throw ConnectDataError("no union branch \(branch)") }
            return try connectValue(branchValue, branches[branch], document, schema)
        case (_, .null): return nil
        case (_, .int(let number)):
            switch schema.type {
            case .int8:
                guard let small = Int8(exactly: number) else { throw ConnectDataError("\(number) is not an int8") }
                return .int8(small)
            case .int16:
                guard let small = Int16(exactly: number) else { throw ConnectDataError("\(number) is not an int16") }
                return .int16(small)
            default: return .int32(number)
            }
        case (_, .long(let number)): return .int64(number)
        case (_, .float(let number)): return .float32(number)
        case (_, .double(let number)): return .float64(number)
        case (_, .boolean(let flag)): return .boolean(flag)
        case (_, .string(let text)), (_, .enumeration(let text)): return .string(text)
        case (_, .bytes(let bytes)), (_, .fixed(let bytes)): return .bytes(bytes)
        case (.array(let items, _), .array(let values)):
            if schema.type == .map, let keySchema = schema.keySchema, let valueSchema = schema.valueSchema {
                var entries: [ConnectValue.MapEntry] = []
                for case .record(let pair) in values where pair.count == 2 {
                    guard case .record(_, let fields, _) = document.resolve(items) else { break }
                    entries.append(
                        ConnectValue.MapEntry(
                            try connectValue(pair[0], fields[0].type, document, keySchema),
                            try connectValue(pair[1], fields[1].type, document, valueSchema)
                        )
                    )
                }
                return .map(entries)
            }
            guard let itemSchema = schema.valueSchema else { throw ConnectDataError("an array schema without items") }
            var converted: [ConnectValue?] = []
            for item in values { converted.append(try connectValue(item, items, document, itemSchema)) }
            return .array(converted)
        case (.map(let valueAvro, _), .map(let entries)):
            guard let valueSchema = schema.valueSchema else { throw ConnectDataError("a map schema without values") }
            var converted: [ConnectValue.MapEntry] = []
            for key in entries.keys.sorted() {
                converted.append(
                    ConnectValue.MapEntry(
                        .string(key),
                        try connectValue(entries[key]!, valueAvro, document, valueSchema)
                    )
                )
            }
            return .map(converted)
        case (.record(_, let fields, _), .record(let values)) where schema.type == .struct:
            var result = ConnectStruct(schema: schema)
            for (field, (avroField, fieldValue)) in zip(schema.fields, zip(fields, values)) {
                try result.set(field.name, try connectValue(fieldValue, avroField.type, document, field.schema))
            }
            return .struct(result)
        default:
            throw ConnectDataError("a \(value) datum does not match the Connect schema \(schema)")
        }
    }

    /// The schema of one Avro schema; `field` is the record field it is the type of (its doc and default).
    static func connect(
        _ avro: AvroSchema,
        _ document: AvroSchemaDocument,
        optional: Bool,
        field: AvroField?,
        reading: inout Set<String>
    ) throws(ConnectDataError) -> ConnectSchema {
        let resolved = document.resolve(avro)
        let properties: JSONObject
        var type: ConnectSchema.SchemaType
        var name: String?
        var parameters: [String: String]?
        var fields: [(name: String, schema: ConnectSchema)] = []
        var keySchema: ConnectSchema?
        var valueSchema: ConnectSchema?
        switch resolved {
        case .union(let branches):
            let nonNull = branches.filter { !document.resolve($0).isNull }
            guard branches.count == 2, nonNull.count == 1 else {
                throw ConnectDataError("Avro unions other than a type with null are not supported yet")
            }
            return try connect(nonNull[0], document, optional: true, field: field, reading: &reading)
        case .primitive(let primitive, let own):
            properties = own
            switch primitive {
            case .null: throw ConnectDataError("an Avro null schema has no Connect schema")
            case .boolean: type = .boolean
            case .int:
                switch own["connect.type"]?.stringValue {
                case "int8": type = .int8
                case "int16": type = .int16
                default: type = .int32
                }
            case .long: type = .int64
            case .float: type = .float32
            case .double: type = .float64
            case .bytes: type = .bytes
            case .string: type = .string
            }
            switch own["logicalType"]?.stringValue {
            case "decimal" where primitive == .bytes:
                name = ConnectSchema.decimalName
                let scale = own["scale"].flatMap { $0.numberText } ?? "0"
                parameters = ["scale": scale]
                if let precision = own["precision"].flatMap({ $0.numberText }) {
                    parameters?[decimalPrecisionParameter] = precision
                }
            case "date" where primitive == .int: name = ConnectSchema.dateName
            case "time-millis" where primitive == .int: name = ConnectSchema.timeName
            case "timestamp-millis" where primitive == .long: name = ConnectSchema.timestampName
            default: break
            }
        case .enumeration(let named, let symbols, _):
            properties = named.properties
            type = .string
            parameters = [enumParameter: named.name.fullName]
            for symbol in symbols { parameters?["\(enumParameter).\(symbol)"] = symbol }
        case .fixed(let named, _):
            properties = named.properties
            type = .bytes
        case .array(let items, let own):
            properties = own
            if case .record(let named, let entryFields, _) = document.resolve(items), named.name == mapEntryName,
                entryFields.map(\.name) == ["key", "value"]
            {
                type = .map
                keySchema = try connect(
                    entryFields[0].type,
                    document,
                    optional: false,
                    field: entryFields[0],
                    reading: &reading
                )
                valueSchema = try connect(
                    entryFields[1].type,
                    document,
                    optional: false,
                    field: entryFields[1],
                    reading: &reading
                )
            } else {
                type = .array
                valueSchema = try connect(items, document, optional: false, field: nil, reading: &reading)
            }
        case .map(let values, let own):
            properties = own
            type = .map
            keySchema = .string
            valueSchema = try connect(values, document, optional: false, field: nil, reading: &reading)
        case .record(let named, let recordFields, _):
            properties = named.properties
            type = .struct
            guard reading.insert(named.name.fullName).inserted else {
                throw ConnectDataError("the recursive Avro record \(named.name) has no Connect schema")
            }
            defer { reading.remove(named.name.fullName) }
            let full = named.name.fullName
            let isDefault = named.name.namespace == namespace && named.name.name.hasPrefix(defaultSchemaName)
            name = isDefault ? nil : full
            for recordField in recordFields {
                fields.append(
                    (
                        recordField.name,
                        try connect(recordField.type, document, optional: false, field: recordField, reading: &reading)
                    )
                )
            }
        case .reference(let reference):
            throw ConnectDataError("the Avro schema refers to \(reference), which it does not define")
        }
        if let connectName = properties["connect.name"]?.stringValue { name = connectName }
        if case .object(let object)? = properties["connect.parameters"] {
            parameters = Dictionary(
                object.members.compactMap { member in member.value.stringValue.map { (member.name, $0) } }
            ) { a, _ in a }
        }
        let version = properties["connect.version"].flatMap { $0.numberText }.flatMap { Int32($0) }
        let doc = properties["connect.doc"]?.stringValue ?? field?.doc
        let defaultJSON = properties["connect.default"] ?? field?.defaultValue
        let defaultValue: ConnectValue? =
            if let defaultJSON, defaultJSON != .null, type.isPrimitive { try defaultValue(defaultJSON, type) } else {
                nil
            }
        return ConnectSchema(
            type: type,
            optional: optional,
            name: name,
            version: version,
            doc: doc,
            parameters: parameters,
            defaultValue: defaultValue,
            fields: fields,
            keySchema: keySchema,
            valueSchema: valueSchema
        )
    }

    /// A primitive default from its JSON.
    static func defaultValue(
        _ json: JSONValue,
        _ type: ConnectSchema.SchemaType
    ) throws(ConnectDataError) -> ConnectValue {
        switch (type, json) {
        case (.boolean, .bool(let flag)): return .boolean(flag)
        case (.int8, .number(let number)):
            if let v = number.integerValue.flatMap(Int8.init(exactly:)) { return .int8(v) }
        case (.int16, .number(let number)):
            if let v = number.integerValue.flatMap(Int16.init(exactly:)) { return .int16(v) }
        case (.int32, .number(let number)):
            if let v = number.integerValue.flatMap(Int32.init(exactly:)) { return .int32(v) }
        case (.int64, .number(let number)): if let v = number.integerValue { return .int64(v) }
        case (.float32, .number(let number)): if let v = number.doubleValue { return .float32(Float(v)) }
        case (.float64, .number(let number)): if let v = number.doubleValue { return .float64(v) }
        case (.string, .string(let text)): return .string(text)
        case (.bytes, .string(let text)): return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        default: break
        }
        throw ConnectDataError("the default \(json.compactText) is not a \(type.rawValue)")
    }
}
