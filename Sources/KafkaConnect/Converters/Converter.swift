/// A converter between Connect data and the bytes of a Kafka record's key, value or header (Java's
/// `org.apache.kafka.connect.storage.Converter`). Made once per task and side (`key.converter`,
/// `value.converter`) from its own settings (the worker's or connector's `key.converter.*` with the prefix taken
/// off); called by that task only. Async, because a converter may ask a schema registry (`AvroConverter`).
public protocol Converter: Sendable {
    /// `isKey`: whether this converter handles keys (some converters read different settings for each side).
    init(properties: [String: String], isKey: Bool) throws(ConnectConfigError)

    /// The bytes for `value` (nil for a record without one: a tombstone or a missing key).
    func fromConnectData(
        topic: String,
        schema: ConnectSchema?,
        value: ConnectValue?
    ) async throws(ConnectDataError)
        -> [UInt8]?

    /// The schema and value of `bytes` (both nil for nil bytes).
    func toConnectData(topic: String, bytes: [UInt8]?) async throws(ConnectDataError) -> SchemaAndValue
}

/// The converters a worker knows, by the class names Connect's configurations use (a short name without the
/// package is accepted too, as Connect's plugin aliases are).
public enum Converters {
    public static let known: [(className: String, type: any Converter.Type)] = [
        ("org.apache.kafka.connect.json.JsonConverter", JsonConverter.self),
        ("org.apache.kafka.connect.storage.StringConverter", StringConverter.self),
        ("org.apache.kafka.connect.converters.ByteArrayConverter", ByteArrayConverter.self),
    ]

    /// The converter `className` configured with `properties`, from `known` (a runtime adds converters that need
    /// I/O to the built-in ones); a class this worker does not have is refused.
    public static func make(
        className: String,
        properties: [String: String],
        isKey: Bool,
        known: [(className: String, type: any Converter.Type)] = known
    )
        throws(ConnectConfigError) -> any Converter
    {
        let name = className.trimmingCharacters(in: .whitespaces)
        guard let type = type(named: name, known: known) else {
            throw ConnectConfigError("Class \(name) could not be found (converters: \(known.map(\.className)))")
        }
        return try type.init(properties: properties, isKey: isKey)
    }

    /// The converter type of a class name (or its short name without the package).
    public static func type(
        named name: String,
        known: [(className: String, type: any Converter.Type)] = known
    ) -> (any Converter.Type)? {
        known.first(where: { $0.className == name || $0.className.hasSuffix(".\(name)") })?.type
    }
}

/// A configuration Connect refuses (Java's `ConfigException`), with Connect's message.
public struct ConnectConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `org.apache.kafka.connect.storage.StringConverter`: UTF-8 text (`converter.encoding` other than UTF-8 is
/// refused), read with an optional string schema. Writing a value that is not a string writes its JSON text
/// (Java writes `toString()`, e.g. `Struct{a=1}`, which nothing can read back).
public struct StringConverter: Converter {
    public init(properties: [String: String], isKey: Bool) throws(ConnectConfigError) {
        if let encoding = properties["converter.encoding"],
            encoding.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8"
        {
            throw ConnectConfigError("converter.encoding \(encoding) is not supported (UTF-8 is)")
        }
    }

    public func fromConnectData(topic: String, schema: ConnectSchema?, value: ConnectValue?) -> [UInt8]? {
        guard let value else { return nil }
        return Array(Self.text(of: value).utf8)
    }

    /// A string as is; any other value as its JSON text.
    public static func text(of value: ConnectValue) -> String {
        if case .string(let text) = value { return text }
        return JsonConverter.plainText(value)
    }

    public func toConnectData(topic: String, bytes: [UInt8]?) -> SchemaAndValue {
        guard let bytes else { return SchemaAndValue(.optionalString, nil) }
        return SchemaAndValue(.optionalString, .string(String(decoding: bytes, as: UTF8.self)))
    }
}

/// `org.apache.kafka.connect.converters.ByteArrayConverter`: the bytes as they are, with an optional bytes schema.
public struct ByteArrayConverter: Converter {
    public init(properties: [String: String], isKey: Bool) {}

    public func fromConnectData(
        topic: String,
        schema: ConnectSchema?,
        value: ConnectValue?
    ) throws(ConnectDataError)
        -> [UInt8]?
    {
        if let schema, schema.type != .bytes {
            throw ConnectDataError("Invalid schema type for ByteArrayConverter: \(schema.type)")
        }
        switch value {
        case nil: return nil
        case .bytes(let bytes): return bytes
        case .some(let other):
            throw ConnectDataError("ByteArrayConverter is not compatible with objects of type \(other.schemaType)")
        }
    }

    public func toConnectData(topic: String, bytes: [UInt8]?) -> SchemaAndValue {
        SchemaAndValue(.optionalBytes, bytes.map { .bytes($0) })
    }
}
