public import Avro
import Foundation

/// `org.apache.kafka.connect.json.JsonConverter` as Kafka 2.8 writes and reads: with `schemas.enable` (the
/// default) every key or value is the envelope `{"schema":{…},"payload":…}` and the schema is Connect's JSON schema
/// (`type`, `optional`, then `name`, `version`, `doc`, `parameters`, `default` when set; `fields` / `items` /
/// `keys` and `values` for containers, each field's schema with its `field` name after its own members); without
/// it, plain JSON in and out, read schemaless (integers as int64, other numbers as float64, objects as maps).
/// Bytes and Decimals are base64 (`decimal.format=BASE64`; NUMERIC is refused, not yet written). Text is
/// Jackson's compact form, numbers as Java prints them.
///
/// Reading is stricter than Java where Java silently invents a value: a JSON string where the schema says int32
/// is an error here, not 0.
public struct JsonConverter: Converter {
    public let schemasEnabled: Bool

    public init(properties: [String: String], isKey: Bool) throws(ConnectConfigError) {
        try self.init(properties: properties)
    }

    public init(schemasEnabled: Bool) { self.schemasEnabled = schemasEnabled }

    public init(properties: [String: String] = [:]) throws(ConnectConfigError) {
        switch properties["schemas.enable"]?.lowercased() {
        case nil, "true": schemasEnabled = true
        case "false": schemasEnabled = false
        case let other?:
            throw ConnectConfigError(
                "Invalid value \(other) for configuration schemas.enable: Expected value to be either true or false"
            )
        }
        if let format = properties["decimal.format"], format.uppercased() != "BASE64" {
            throw ConnectConfigError("decimal.format \(format) is not supported (BASE64 is)")
        }
    }

    /// The JSON text of a value written schemaless (what StringConverter writes for a non-string value).
    static func plainText(_ value: ConnectValue) -> String {
        (try? JsonConverter.toJSON(schema: nil, value: value))?.compactText ?? ""
    }

    public func fromConnectData(
        topic: String,
        schema: ConnectSchema?,
        value: ConnectValue?
    ) throws(ConnectDataError)
        -> [UInt8]?
    {
        try json(schema: schema, value: value).map { Array($0.compactText.utf8) }
    }

    /// The JSON tree `fromConnectData` writes (nil when both schema and value are nil).
    public func json(schema: ConnectSchema?, value: ConnectValue?) throws(ConnectDataError) -> JSONValue? {
        if schema == nil && value == nil { return nil }
        let payload = try Self.toJSON(schema: schema, value: value)
        guard schemasEnabled else { return payload }
        return .object(JSONObject([("schema", schema.map(Self.jsonSchema) ?? .null), ("payload", payload)]))
    }

    public func toConnectData(topic: String, bytes: [UInt8]?) throws(ConnectDataError) -> SchemaAndValue {
        guard let bytes else { return .null }  // a tombstone
        let json: JSONValue
        do {
            json = try JSONValue.parse(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ConnectDataError(
                "Converting byte[] to Kafka Connect data failed due to serialization error: \(error)"
            )
        }
        return try connectData(json)
    }

    /// The schema and value of a parsed JSON tree (an envelope when schemas are enabled).
    public func connectData(_ json: JSONValue) throws(ConnectDataError) -> SchemaAndValue {
        guard schemasEnabled else { return SchemaAndValue(nil, try Self.toConnect(schema: nil, json: json)) }
        guard case .object(let envelope) = json, envelope.members.count == 2, let schemaJSON = envelope["schema"],
            let payload = envelope["payload"]
        else {
            throw ConnectDataError(
                "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain "
                    + "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false "
                    + "in your converter configuration."
            )
        }
        let schema = try Self.connectSchema(schemaJSON)
        return SchemaAndValue(schema, try Self.toConnect(schema: schema, json: payload))
    }

    // MARK: Schemas

    /// Connect's JSON form of `schema`, members in JsonConverter's order.
    public static func jsonSchema(_ schema: ConnectSchema) -> JSONValue {
        var object = JSONObject([("type", .string(schema.type.jsonName))])
        switch schema.type {
        case .array:
            object["items"] = schema.valueSchema.map(jsonSchema) ?? .null
        case .map:
            object["keys"] = schema.keySchema.map(jsonSchema) ?? .null
            object["values"] = schema.valueSchema.map(jsonSchema) ?? .null
        case .struct:
            object["fields"] = .array(
                schema.fields.map { field in
                    guard case .object(var member) = jsonSchema(field.schema) else { return .null }
                    member["field"] = .string(field.name)
                    return .object(member)
                }
            )
        default:
            break
        }
        object["optional"] = .bool(schema.isOptional)
        if let name = schema.name { object["name"] = .string(name) }
        if let version = schema.version { object["version"] = .number(JSONNumber(String(version))) }
        if let doc = schema.doc { object["doc"] = .string(doc) }
        if let parameters = schema.parameters {
            object["parameters"] = .object(JSONObject(parameters.sorted { $0.key < $1.key }.map { ($0, .string($1)) }))
        }
        if let defaultValue = schema.defaultValue, let json = try? toJSON(schema: schema, value: defaultValue) {
            object["default"] = json
        }
        return .object(object)
    }

    /// The schema of Connect's JSON form (nil for JSON null).
    public static func connectSchema(_ json: JSONValue) throws(ConnectDataError) -> ConnectSchema? {
        if case .null = json { return nil }
        guard case .object(let object) = json, let typeName = object["type"]?.stringValue else {
            throw ConnectDataError("Schema must contain 'type' field")
        }
        guard let type = ConnectSchema.SchemaType(jsonName: typeName) else {
            throw ConnectDataError("Unknown schema type: \(typeName)")
        }
        var fields: [(name: String, schema: ConnectSchema)] = []
        var keySchema: ConnectSchema?
        var valueSchema: ConnectSchema?
        switch type {
        case .array:
            guard let items = object["items"], items != .null, let itemSchema = try connectSchema(items) else {
                throw ConnectDataError("Array schema did not specify the element type")
            }
            valueSchema = itemSchema
        case .map:
            guard let keys = object["keys"] else { throw ConnectDataError("Map schema did not specify the key type") }
            guard let values = object["values"] else {
                throw ConnectDataError("Map schema did not specify the value type")
            }
            keySchema = try connectSchema(keys)
            valueSchema = try connectSchema(values)
        case .struct:
            guard case .array(let members)? = object["fields"] else {
                throw ConnectDataError("Struct schema's \"fields\" argument is not an array.")
            }
            for member in members {
                guard let name = member["field"]?.stringValue else {
                    throw ConnectDataError("Struct schema's field name not specified properly")
                }
                guard let fieldSchema = try connectSchema(member) else {
                    throw ConnectDataError("Struct schema's field \(name) has no schema")
                }
                fields.append((name, fieldSchema))
            }
        default:
            break
        }
        var parameters: [String: String]?
        if case .object(let members)? = object["parameters"] {
            parameters = [:]
            for (name, value) in members.members {
                guard let text = value.stringValue else {
                    throw ConnectDataError("Schema parameters must have string values.")
                }
                parameters?[name] = text
            }
        }
        var version: Int32?
        if case .number(let number)? = object["version"], let integer = number.integerValue {
            version = Int32(truncatingIfNeeded: integer)
        }
        let schema = ConnectSchema(
            type: type,
            optional: object["optional"] == .bool(true),
            name: object["name"]?.stringValue,
            version: version,
            doc: object["doc"]?.stringValue,
            parameters: parameters,
            fields: fields,
            keySchema: keySchema,
            valueSchema: valueSchema
        )
        guard let defaultJSON = object["default"] else { return schema }
        return ConnectSchema(
            type: type,
            optional: schema.isOptional,
            name: schema.name,
            version: version,
            doc: schema.doc,
            parameters: parameters,
            defaultValue: try toConnect(schema: schema, json: defaultJSON),
            fields: fields,
            keySchema: keySchema,
            valueSchema: valueSchema
        )
    }
}
