import Avro

/// `org.apache.kafka.connect.transforms.Cast$Key|$Value`: `spec` is one type for the whole key or value
/// (`int32`) or `field:type` pairs (`id:int64,price:float64`); the types are int8, int16, int32, int64, float32,
/// float64, boolean and string. Numbers narrow as Java's casts do, booleans become 1/0 and back (non-zero is
/// true), strings are parsed (a string that is not a number fails), anything becomes its Java text as a string.
/// The schema follows (fields keep their optionality); schemaless values are cast as found.
public struct Cast: Transformation {
    let side: RecordSide
    let whole: ConnectSchema.SchemaType?
    let fields: [String: ConnectSchema.SchemaType]

    static let targets: Set<ConnectSchema.SchemaType> = [
        .int8, .int16, .int32, .int64, .float32, .float64, .boolean, .string,
    ]

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        let spec = TransformSupport.list(config["spec"])
        guard !spec.isEmpty else {
            throw ConnectConfigError("Must specify at least one field to cast.")
        }
        func type(_ name: String) throws(ConnectConfigError) -> ConnectSchema.SchemaType {
            guard let type = ConnectSchema.SchemaType(rawValue: name.lowercased()), Self.targets.contains(type) else {
                throw ConnectConfigError("Invalid type found in casting spec: \(name)")
            }
            return type
        }
        if spec.count == 1 && !spec[0].contains(":") {
            whole = try type(spec[0])
            fields = [:]
            return
        }
        var fields: [String: ConnectSchema.SchemaType] = [:]
        for pair in spec {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConnectConfigError("Invalid cast mapping: \(pair)")
            }
            fields[parts[0]] = try type(parts[1])
        }
        whole = nil
        self.fields = fields
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        let schema = side.schema(of: record)
        if let whole {
            let castSchema = schema.map { ConnectSchema(type: whole, optional: $0.isOptional) }
            return side.replacing(
                record,
                schema: castSchema,
                value: try value.map { v throws(ConnectDataError) in try Self.cast(v, to: whole) }
            )
        }
        if value == nil { return record }
        guard let schema else {
            var entries = try TransformSupport.requireMap(value, "cast types")
            for index in entries.indices {
                guard case .string(let name)? = entries[index].key, let type = fields[name],
                    let current = entries[index].value
                else { continue }
                entries[index].value = try Self.cast(current, to: type)
            }
            return side.replacing(record, schema: nil, value: .map(entries))
        }
        let original = try TransformSupport.requireStruct(value, "cast types")
        let updated = TransformSupport.structSchema(
            like: schema,
            fields: schema.fields.map { field in
                guard let type = fields[field.name] else { return (field.name, field.schema) }
                return (field.name, ConnectSchema(type: type, optional: field.schema.isOptional))
            }
        )
        var values: [String: ConnectValue?] = [:]
        for field in schema.fields {
            let current = original[field.name]
            if let type = fields[field.name], let current {
                values[field.name] = try Self.cast(current, to: type)
            } else {
                values[field.name] = current
            }
        }
        return side.replacing(record, schema: updated, value: try TransformSupport.makeStruct(updated, values))
    }

    /// `value` as `type`, as Java's Cast converts it.
    static func cast(_ value: ConnectValue, to type: ConnectSchema.SchemaType) throws(ConnectDataError) -> ConnectValue
    {
        func fail() -> ConnectDataError {
            ConnectDataError("Unexpected type in Cast transformation: \(value.schemaType) to \(type)")
        }
        let integer: Int64?
        let double: Double?
        switch value {
        case .boolean(let flag):
            integer = flag ? 1 : 0
            double = flag ? 1 : 0
        case .int8, .int16, .int32, .int64:
            integer = value.integerValue
            double = integer.map(Double.init)
        case .float32(let number):
            integer = number.isFinite ? Int64(exactly: number.rounded(.towardZero)) : nil
            double = Double(number)
        case .float64(let number):
            integer = number.isFinite && abs(number) < 9.2e18 ? Int64(number) : nil
            double = number
        case .string(let text):
            switch type {
            case .string: return value
            case .boolean: return .boolean(text.lowercased() == "true")
            case .float32, .float64:
                guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)) else { throw fail() }
                return type == .float32 ? .float32(Float(parsed)) : .float64(parsed)
            default:
                guard let parsed = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw fail() }
                return try cast(.int64(parsed), to: type)
            }
        default:
            throw fail()
        }
        if [.int8, .int16, .int32, .int64].contains(type) && integer == nil { throw fail() }
        switch type {
        case .boolean: return .boolean((double ?? 0) != 0)
        case .int8: return .int8(Int8(truncatingIfNeeded: integer ?? 0))
        case .int16: return .int16(Int16(truncatingIfNeeded: integer ?? 0))
        case .int32: return .int32(Int32(truncatingIfNeeded: integer ?? 0))
        case .int64: return .int64(integer ?? 0)
        case .float32: return .float32(Float(double ?? 0))
        case .float64: return .float64(double ?? 0)
        case .string:
            switch value {
            case .boolean(let flag): return .string(flag ? "true" : "false")
            case .float32(let number): return .string(JSONNumber(java: number).text)
            case .float64(let number): return .string(JSONNumber(java: number).text)
            default: return .string(String(integer ?? 0))
            }
        default:
            throw fail()
        }
    }
}
