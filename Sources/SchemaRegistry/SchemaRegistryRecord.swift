import Avro

/// A record of the `_schemas` topic, in Confluent Schema Registry's exact format (keys and values are UTF-8 JSON;
/// the key bytes are the compaction identity, so member order and omitted members are as Jackson writes them):
///
/// | key | value (nil: a tombstone) |
/// |---|---|
/// | `{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}` | `{"subject","version","id"[,"schemaType"][,"references"],"schema","deleted"}` |
/// | `{"keytype":"CONFIG","subject":"s","magic":0}`, global without `subject` | `{"compatibilityLevel":"FULL"}` |
/// | `{"keytype":"MODE","subject":"s","magic":0}`, global without `subject` | `{"mode":"READONLY"}` |
/// | `{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}` | `{"subject":"s","version":2}` |
/// | `{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}` | `{"subject":"s"}` |
/// | `{"keytype":"NOOP","magic":0}` | nil |
///
/// Reading is lenient where other writers differ: Karapace's global keys carry `"subject":null`, Redpanda adds
/// `seq` and `node`, Confluent 7 adds `subject` to CONFIG values; unknown members are ignored.
public enum SchemaRegistryKey: Sendable, Hashable {
    case schema(subject: String, version: Int32)
    /// nil subject: the global setting.
    case config(subject: String?)
    case mode(subject: String?)
    case deleteSubject(String)
    case clearSubject(String)
    case noop

    public var bytes: [UInt8] { Array(text.utf8) }

    public var text: String {
        var key = JSONObject()
        switch self {
        case .schema(let subject, let version):
            key["keytype"] = .string("SCHEMA")
            key["subject"] = .string(subject)
            key["version"] = .number(JSONNumber(String(version)))
            key["magic"] = .number(JSONNumber("1"))
            return JSONValue.object(key).compactText
        case .config(let subject): key["keytype"] = .string("CONFIG"); subject.map { key["subject"] = .string($0) }
        case .mode(let subject): key["keytype"] = .string("MODE"); subject.map { key["subject"] = .string($0) }
        case .deleteSubject(let subject): key["keytype"] = .string("DELETE_SUBJECT"); key["subject"] = .string(subject)
        case .clearSubject(let subject): key["keytype"] = .string("CLEAR_SUBJECT"); key["subject"] = .string(subject)
        case .noop: key["keytype"] = .string("NOOP")
        }
        key["magic"] = .number(JSONNumber("0"))
        return JSONValue.object(key).compactText
    }

    /// Reads a key as any of the known writers wrote it; nil for something that is not one.
    public init?(bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self), let json = try? JSONValue.parse(text),
            let type = json["keytype"]?.stringValue
        else { return nil }
        let subject = json["subject"]?.stringValue
        switch type {
        case "SCHEMA":
            guard let subject, let version = json["version"].flatMap(Self.int32) else { return nil }
            self = .schema(subject: subject, version: version)
        case "CONFIG": self = .config(subject: subject)
        case "MODE": self = .mode(subject: subject)
        case "DELETE_SUBJECT":
            guard let subject else { return nil }
            self = .deleteSubject(subject)
        case "CLEAR_SUBJECT":
            guard let subject else { return nil }
            self = .clearSubject(subject)
        case "NOOP": self = .noop
        default: return nil
        }
    }

    static func int32(_ value: JSONValue) -> Int32? {
        if case .number(let number) = value, let integer = number.integerValue { return Int32(exactly: integer) }
        return nil
    }
}

/// Another subject's schema a schema imports by name (Avro named types, JSON `$ref`, Protobuf imports).
public struct SchemaReference: Sendable, Hashable {
    public var name: String
    public var subject: String
    public var version: Int32

    public init(name: String, subject: String, version: Int32) {
        self.name = name
        self.subject = subject
        self.version = version
    }

    var json: JSONValue {
        .object(
            JSONObject([
                ("name", .string(name)), ("subject", .string(subject)),
                ("version", .number(JSONNumber(String(version)))),
            ])
        )
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let subject = json["subject"]?.stringValue,
            let version = json["version"].flatMap(SchemaRegistryKey.int32)
        else { return nil }
        self.init(name: name, subject: subject, version: version)
    }
}

/// A SCHEMA record's value: one version of a subject.
public struct SchemaVersionValue: Sendable, Equatable {
    public var subject: String
    public var version: Int32
    public var id: Int32
    /// "AVRO", "JSON" or "PROTOBUF".
    public var schemaType: String
    public var references: [SchemaReference]
    /// The schema's canonical text.
    public var schema: String
    public var deleted: Bool

    public init(
        subject: String,
        version: Int32,
        id: Int32,
        schemaType: String = "AVRO",
        references: [SchemaReference] = [],
        schema: String,
        deleted: Bool = false
    ) {
        self.subject = subject
        self.version = version
        self.id = id
        self.schemaType = schemaType
        self.references = references
        self.schema = schema
        self.deleted = deleted
    }

    /// Confluent's member order (its fields' declaration order); `schemaType` only when not AVRO, `references`
    /// only when there are some.
    public var text: String {
        var value = JSONObject()
        value["subject"] = .string(subject)
        value["version"] = .number(JSONNumber(String(version)))
        value["id"] = .number(JSONNumber(String(id)))
        if schemaType != "AVRO" { value["schemaType"] = .string(schemaType) }
        if !references.isEmpty { value["references"] = .array(references.map(\.json)) }
        value["schema"] = .string(schema)
        value["deleted"] = .bool(deleted)
        return JSONValue.object(value).compactText
    }

    public init?(text: String) {
        guard let json = try? JSONValue.parse(text), let subject = json["subject"]?.stringValue,
            let version = json["version"].flatMap(SchemaRegistryKey.int32),
            let id = json["id"].flatMap(SchemaRegistryKey.int32), let schema = json["schema"]?.stringValue
        else { return nil }
        self.init(
            subject: subject,
            version: version,
            id: id,
            schemaType: json["schemaType"]?.stringValue ?? "AVRO",
            references: (json["references"]?.arrayValue ?? []).compactMap(SchemaReference.init(json:)),
            schema: schema,
            deleted: json["deleted"] == .bool(true)
        )
    }
}

/// One `_schemas` record: a key and its value text (nil: a tombstone).
public struct SchemaRegistryRecord: Sendable, Equatable {
    public var key: SchemaRegistryKey
    public var value: String?

    public init(key: SchemaRegistryKey, value: String?) {
        self.key = key
        self.value = value
    }

    static func schema(_ value: SchemaVersionValue) -> Self {
        Self(key: .schema(subject: value.subject, version: value.version), value: value.text)
    }

    static func config(_ subject: String?, _ level: CompatibilityLevel?) -> Self {
        Self(
            key: .config(subject: subject),
            value: level.map {
                JSONValue.object(JSONObject([("compatibilityLevel", .string($0.rawValue))])).compactText
            }
        )
    }

    static func mode(_ subject: String?, _ mode: RegistryMode?) -> Self {
        Self(
            key: .mode(subject: subject),
            value: mode.map { JSONValue.object(JSONObject([("mode", .string($0.rawValue))])).compactText }
        )
    }

    static func deleteSubject(_ subject: String, upTo version: Int32) -> Self {
        Self(
            key: .deleteSubject(subject),
            value: JSONValue.object(
                JSONObject([("subject", .string(subject)), ("version", .number(JSONNumber(String(version))))])
            ).compactText
        )
    }

    static func clearSubject(_ subject: String) -> Self {
        Self(
            key: .clearSubject(subject),
            value: JSONValue.object(JSONObject([("subject", .string(subject))])).compactText
        )
    }
}

/// Confluent's compatibility levels; `schema.compatibility.level` is BACKWARD unless set.
public enum CompatibilityLevel: String, Sendable, CaseIterable {
    case none = "NONE"
    case backward = "BACKWARD"
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    case forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE"
    case full = "FULL"
    case fullTransitive = "FULL_TRANSITIVE"

    /// Accepts any letter case, as Confluent does.
    public init?(name: String) { self.init(rawValue: name.uppercased()) }

    var isTransitive: Bool { rawValue.hasSuffix("_TRANSITIVE") }
    var checksBackward: Bool { [.backward, .backwardTransitive, .full, .fullTransitive].contains(self) }
    var checksForward: Bool { [.forward, .forwardTransitive, .full, .fullTransitive].contains(self) }
}

/// Confluent's modes: READWRITE unless set.
public enum RegistryMode: String, Sendable, CaseIterable {
    case readWrite = "READWRITE"
    case readOnly = "READONLY"
    case readOnlyOverride = "READONLY_OVERRIDE"
    case `import` = "IMPORT"

    public init?(name: String) { self.init(rawValue: name.uppercased()) }
}
