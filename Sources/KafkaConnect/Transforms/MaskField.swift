/// `org.apache.kafka.connect.transforms.MaskField$Key|$Value`: replaces each of `fields` with its type's empty
/// value (false, 0, 0.0, "", an empty array or map), or with `replacement` (numbers and strings only, parsed
/// for the field's type). Structs keep their schema; schemaless maps are masked by the values' own types.
public struct MaskField: Transformation {
    let side: RecordSide
    let fields: [String]
    let replacement: String?

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        fields = TransformSupport.list(config["fields"])
        guard !fields.isEmpty else {
            throw ConnectConfigError("Missing required configuration \"fields\" which has no default value.")
        }
        replacement = config["replacement"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func masked(_ value: ConnectValue?, type: ConnectSchema.SchemaType) throws(ConnectDataError) -> ConnectValue? {
        if let replacement {
            func parsed<T: LosslessStringConvertible>(
                _ make: (T) -> ConnectValue
            ) throws(ConnectDataError) -> ConnectValue {
                guard let number = T(replacement) else {
                    throw ConnectDataError("Unable to convert \(replacement) to \(type)")
                }
                return make(number)
            }
            switch type {
            case .string: return .string(replacement)
            case .int8: return try parsed(ConnectValue.int8)
            case .int16: return try parsed(ConnectValue.int16)
            case .int32: return try parsed(ConnectValue.int32)
            case .int64: return try parsed(ConnectValue.int64)
            case .float32: return try parsed(ConnectValue.float32)
            case .float64: return try parsed(ConnectValue.float64)
            default: throw ConnectDataError("Cannot mask value of type \(type) with custom replacement.")
            }
        }
        switch type {
        case .boolean: return .boolean(false)
        case .int8: return .int8(0)
        case .int16: return .int16(0)
        case .int32: return .int32(0)
        case .int64: return .int64(0)
        case .float32: return .float32(0)
        case .float64: return .float64(0)
        case .string: return .string("")
        case .bytes: return .bytes([])
        case .array: return .array([])
        case .map: return .map([])
        case .struct: throw ConnectDataError("Cannot mask value of type struct")
        }
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        if value == nil { return record }
        guard let schema = side.schema(of: record) else {
            var entries = try TransformSupport.requireMap(value, "masking fields")
            for index in entries.indices {
                guard case .string(let name)? = entries[index].key, fields.contains(name),
                    let current = entries[index].value
                else { continue }
                entries[index].value = try masked(current, type: current.schemaType)
            }
            return side.replacing(record, schema: nil, value: .map(entries))
        }
        var updated = try TransformSupport.requireStruct(value, "masking fields")
        for field in schema.fields where fields.contains(field.name) {
            try updated.set(field.name, try masked(updated[field.name], type: field.schema.type))
        }
        return side.replacing(record, schema: schema, value: .struct(updated))
    }
}
