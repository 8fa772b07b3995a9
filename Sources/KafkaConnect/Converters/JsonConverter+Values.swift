import Avro
import Foundation

extension JsonConverter {
    /// The JSON of a value (Java's `convertToJson`): null becomes the schema's default, JSON null where the schema
    /// is optional or absent, an error where it is required; maps with string keys (or schemaless maps whose keys
    /// are all strings) become objects, other maps arrays of `[key, value]` pairs; bytes are base64.
    static func toJSON(schema: ConnectSchema?, value: ConnectValue?) throws(ConnectDataError) -> JSONValue {
        guard let value else {
            guard let schema else { return .null }
            if let defaultValue = schema.defaultValue { return try toJSON(schema: schema, value: defaultValue) }
            if schema.isOptional { return .null }
            throw ConnectDataError(
                "Conversion error: null value for field that is required and has no default value"
            )
        }
        if let schema, schema.type != value.schemaType {
            throw ConnectDataError("Invalid type for \(schema.type): \(value.schemaType)")
        }
        switch value {
        case .boolean(let flag): return .bool(flag)
        case .int8(let number): return .number(JSONNumber(String(number)))
        case .int16(let number): return .number(JSONNumber(String(number)))
        case .int32(let number): return .number(JSONNumber(String(number)))
        case .int64(let number): return .number(JSONNumber(String(number)))
        case .float32(let number): return .number(JSONNumber(java: number))
        case .float64(let number): return .number(JSONNumber(java: number))
        case .string(let text): return .string(text)
        case .bytes(let bytes): return .string(Data(bytes).base64EncodedString())
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try toJSON(schema: schema?.valueSchema, value: item)) }
            return .array(out)
        case .map(let entries):
            let objectMode =
                schema.map { $0.keySchema?.type == .string }
                ?? entries.allSatisfy { if case .string? = $0.key { true } else { false } }
            if objectMode {
                var object = JSONObject()
                for entry in entries {
                    guard case .string(let name)? = entry.key else {
                        throw ConnectDataError("Map keys must be strings to be written as a JSON object")
                    }
                    object[name] = try toJSON(schema: schema?.valueSchema, value: entry.value)
                }
                return .object(object)
            }
            var pairs: [JSONValue] = []
            for entry in entries {
                pairs.append(
                    .array([
                        try toJSON(schema: schema?.keySchema, value: entry.key),
                        try toJSON(schema: schema?.valueSchema, value: entry.value),
                    ])
                )
            }
            return .array(pairs)
        case .struct(let structValue):
            if let schema, structValue.schema != schema { throw ConnectDataError("Mismatching schema.") }
            var object = JSONObject()
            for field in structValue.schema.fields {
                object[field.name] = try toJSON(schema: field.schema, value: structValue[field.name])
            }
            return .object(object)
        }
    }

    /// The Connect value of JSON read with `schema` (Java's `convertToConnect`), or schemaless: booleans,
    /// integers as int64, other numbers as float64, strings, arrays, objects as string-keyed maps.
    static func toConnect(schema: ConnectSchema?, json: JSONValue) throws(ConnectDataError) -> ConnectValue? {
        guard let schema else { return try schemaless(json) }
        if case .null = json {
            if let defaultValue = schema.defaultValue { return defaultValue }
            if schema.isOptional { return nil }
            throw ConnectDataError("Invalid null value for required \(schema.type.rawValue.uppercased()) field")
        }
        func mismatch() -> ConnectDataError {
            ConnectDataError("Invalid JSON for \(schema.type.rawValue.uppercased()) schema: \(json.compactText)")
        }
        func integer() throws(ConnectDataError) -> Int64 {
            guard case .number(let number) = json else { throw mismatch() }
            if let integer = number.integerValue { return integer }
            guard let double = number.doubleValue, double.isFinite, abs(double) < 9.2e18 else { throw mismatch() }
            return Int64(double)  // Jackson's intValue()/longValue() of a fraction truncates
        }
        func double() throws(ConnectDataError) -> Double {
            guard case .number(let number) = json, let double = number.doubleValue else { throw mismatch() }
            return double
        }
        switch schema.type {
        case .boolean:
            guard case .bool(let flag) = json else { throw mismatch() }
            return .boolean(flag)
        case .int8: return .int8(Int8(truncatingIfNeeded: try integer()))
        case .int16: return .int16(Int16(truncatingIfNeeded: try integer()))
        case .int32: return .int32(Int32(truncatingIfNeeded: try integer()))
        case .int64: return .int64(try integer())
        case .float32: return .float32(Float(try double()))
        case .float64: return .float64(try double())
        case .string:
            guard case .string(let text) = json else { throw mismatch() }
            return .string(text)
        case .bytes:
            guard case .string(let text) = json, let data = Data(base64Encoded: text) else { throw mismatch() }
            return .bytes(Array(data))
        case .array:
            guard case .array(let items) = json else { throw mismatch() }
            var out: [ConnectValue?] = []
            for item in items { out.append(try toConnect(schema: schema.valueSchema, json: item)) }
            return .array(out)
        case .map:
            if schema.keySchema?.type == .string {
                guard case .object(let object) = json else {
                    throw ConnectDataError("Maps with string fields should be encoded as JSON objects")
                }
                var entries: [ConnectValue.MapEntry] = []
                for (name, member) in object.members {
                    entries.append(.init(.string(name), try toConnect(schema: schema.valueSchema, json: member)))
                }
                return .map(entries)
            }
            guard case .array(let pairs) = json else {
                throw ConnectDataError("Maps with non-string fields should be encoded as JSON array of tuples")
            }
            var entries: [ConnectValue.MapEntry] = []
            for pair in pairs {
                guard case .array(let both) = pair, both.count == 2 else {
                    throw ConnectDataError("Found invalid map entry, expected an array of length 2")
                }
                entries.append(
                    .init(
                        try toConnect(schema: schema.keySchema, json: both[0]),
                        try toConnect(schema: schema.valueSchema, json: both[1])
                    )
                )
            }
            return .map(entries)
        case .struct:
            guard case .object(let object) = json else {
                throw ConnectDataError("Structs should be encoded as JSON objects")
            }
            var value = ConnectStruct(schema: schema)
            for field in schema.fields {
                try value.set(field.name, try toConnect(schema: field.schema, json: object[field.name] ?? .null))
            }
            return .struct(value)
        }
    }

    static func schemaless(_ json: JSONValue) throws(ConnectDataError) -> ConnectValue? {
        switch json {
        case .null: return nil
        case .bool(let flag): return .boolean(flag)
        case .number(let number):
            if number.isInteger {
                guard let integer = number.integerValue else {
                    throw ConnectDataError("Integer \(number.text) does not fit in an int64")
                }
                return .int64(integer)
            }
            return .float64(number.doubleValue ?? .nan)
        case .string(let text): return .string(text)
        case .array(let items):
            var out: [ConnectValue?] = []
            for item in items { out.append(try schemaless(item)) }
            return .array(out)
        case .object(let object):
            var entries: [ConnectValue.MapEntry] = []
            for (name, member) in object.members { entries.append(.init(.string(name), try schemaless(member))) }
            return .map(entries)
        }
    }
}
