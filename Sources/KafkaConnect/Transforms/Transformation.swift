/// What a single message transform may read and change of a source or sink record (Java's `ConnectRecord`).
public protocol ConnectRecord: Sendable {
    var topic: String { get set }
    /// The Kafka partition: a sink record's, or the one a source record asks for (nil: the partitioner's).
    var partition: Int32? { get set }
    /// A sink record's offset in Kafka; nil for a source record.
    var sinkOffset: Int64? { get }
    var keySchema: ConnectSchema? { get set }
    var key: ConnectValue? { get set }
    var valueSchema: ConnectSchema? { get set }
    var value: ConnectValue? { get set }
    var timestamp: Int64? { get set }
    var headers: [ConnectHeader] { get set }
}

extension SourceRecord: ConnectRecord {
    public var partition: Int32? {
        get { kafkaPartition }
        set { kafkaPartition = newValue }
    }
    public var sinkOffset: Int64? { nil }
}

extension SinkRecord: ConnectRecord {
    public var partition: Int32? {
        get { kafkaPartition }
        set { kafkaPartition = newValue ?? kafkaPartition }
    }
    public var sinkOffset: Int64? { kafkaOffset }
}

/// A single message transform (Java's `Transformation`): made once per task from its settings (the connector's
/// `transforms.<alias>.*` without the prefix) and applied to each record in the task; nil drops the record.
public protocol Transformation: Sendable {
    init(config: [String: String]) throws(ConnectConfigError)
    func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record?
}

/// A condition a transform is applied under (Java's `Predicate`, KIP-585).
public protocol Predicate: Sendable {
    init(config: [String: String]) throws(ConnectConfigError)
    func test<Record: ConnectRecord>(_ record: Record) -> Bool
}

/// The part of a record a `$Key` or `$Value` transform works on.
public enum RecordSide: Sendable {
    case key, value

    func schema<Record: ConnectRecord>(of record: Record) -> ConnectSchema? {
        self == .key ? record.keySchema : record.valueSchema
    }

    func value<Record: ConnectRecord>(of record: Record) -> ConnectValue? {
        self == .key ? record.key : record.value
    }

    func replacing<Record: ConnectRecord>(_ record: Record, schema: ConnectSchema?, value: ConnectValue?) -> Record {
        var copy = record
        if self == .key {
            copy.keySchema = schema
            copy.key = value
        } else {
            copy.valueSchema = schema
            copy.value = value
        }
        return copy
    }
}

/// The transforms and predicates a worker knows, by Kafka's class names (`org.apache.kafka.connect.transforms.
/// InsertField$Value`); the simple name (`InsertField$Value`) is accepted too.
public enum Transforms {
    static let package = "org.apache.kafka.connect.transforms."
    static let predicatePackage = "org.apache.kafka.connect.transforms.predicates."

    public static let known:
        [(name: String, make: @Sendable ([String: String]) throws(ConnectConfigError) -> any Transformation)] = [
            ("InsertField$Key", { c throws(ConnectConfigError) in try InsertField(config: c, side: .key) }),
            ("InsertField$Value", { c throws(ConnectConfigError) in try InsertField(config: c, side: .value) }),
            ("ReplaceField$Key", { c throws(ConnectConfigError) in try ReplaceField(config: c, side: .key) }),
            ("ReplaceField$Value", { c throws(ConnectConfigError) in try ReplaceField(config: c, side: .value) }),
            ("MaskField$Key", { c throws(ConnectConfigError) in try MaskField(config: c, side: .key) }),
            ("MaskField$Value", { c throws(ConnectConfigError) in try MaskField(config: c, side: .value) }),
            ("ExtractField$Key", { c throws(ConnectConfigError) in try ExtractField(config: c, side: .key) }),
            ("ExtractField$Value", { c throws(ConnectConfigError) in try ExtractField(config: c, side: .value) }),
            ("HoistField$Key", { c throws(ConnectConfigError) in try HoistField(config: c, side: .key) }),
            ("HoistField$Value", { c throws(ConnectConfigError) in try HoistField(config: c, side: .value) }),
            ("Cast$Key", { c throws(ConnectConfigError) in try Cast(config: c, side: .key) }),
            ("Cast$Value", { c throws(ConnectConfigError) in try Cast(config: c, side: .value) }),
            ("Flatten$Key", { c throws(ConnectConfigError) in try Flatten(config: c, side: .key) }),
            ("Flatten$Value", { c throws(ConnectConfigError) in try Flatten(config: c, side: .value) }),
            ("ValueToKey", { c throws(ConnectConfigError) in try ValueToKey(config: c) }),
            ("RegexRouter", { c throws(ConnectConfigError) in try RegexRouter(config: c) }),
            ("TimestampRouter", { c throws(ConnectConfigError) in try TimestampRouter(config: c) }),
            ("Filter", { c in Filter(config: c) }),
        ]

    public static let predicates:
        [(name: String, make: @Sendable ([String: String]) throws(ConnectConfigError) -> any Predicate)] = [
            ("TopicNameMatches", { c throws(ConnectConfigError) in try TopicNameMatches(config: c) }),
            ("HasHeaderKey", { c throws(ConnectConfigError) in try HasHeaderKey(config: c) }),
            ("RecordIsTombstone", { c in RecordIsTombstone(config: c) }),
        ]

    /// The transform class `name` configured with `config`.
    public static func make(_ name: String, config: [String: String]) throws(ConnectConfigError) -> any Transformation {
        let simple = name.hasPrefix(package) ? String(name.dropFirst(package.count)) : name
        guard let entry = known.first(where: { $0.name == simple }) else {
            throw ConnectConfigError("Class \(name) could not be found as a transformation")
        }
        return try entry.make(config)
    }

    public static func makePredicate(
        _ name: String,
        config: [String: String]
    ) throws(ConnectConfigError)
        -> any Predicate
    {
        let simple = name.hasPrefix(predicatePackage) ? String(name.dropFirst(predicatePackage.count)) : name
        guard let entry = predicates.first(where: { $0.name == simple }) else {
            throw ConnectConfigError("Class \(name) could not be found as a predicate")
        }
        return try entry.make(config)
    }
}
