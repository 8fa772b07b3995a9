/// Whether a connector moves data into Kafka (source) or out of it (sink); lowercase as the REST API writes it.
public enum ConnectorType: String, Sendable, Codable {
    case source, sink
}

/// A connector plugin (Java's `Connector`): its class name (what `connector.class` names), version, the
/// settings it takes, and how it splits its work into task configurations. The worker makes one instance per
/// running connector and calls it from one task at a time: `start` with the connector's configuration (throwing
/// refuses it), `taskConfigs` whenever it (re)plans its tasks, `stop` when the connector is paused, deleted or
/// the worker stops. The tasks it plans run `taskType`.
public protocol Connector: AnyObject, SendableMetatype {
    /// The Java class name users put in `connector.class` (`org.apache.kafka.connect.file.FileStreamSinkConnector`).
    static var className: String { get }
    static var version: String { get }
    static var type: ConnectorType { get }
    /// The connector's own settings (its ConfigDef), for validation and `/connector-plugins`.
    static var configKeys: [ConfigKey] { get }

    init()
    /// Called once before `start` with what the connector may ask of its worker (Java's `initialize`).
    func initialize(context: any ConnectorContext)
    func start(_ config: [String: String]) throws(ConnectConfigError)
    /// At most `maxTasks` task configurations; one task runs per entry.
    func taskConfigs(maxTasks: Int) -> [[String: String]]
    func stop()
}

/// What a running connector may ask of the worker running it (Java's `ConnectorContext`): to plan its tasks again
/// because what they should cover changed (new tables, topics, partitions). Safe to call from any thread.
public protocol ConnectorContext: Sendable {
    func requestTaskReconfiguration()
}

extension Connector {
    public func initialize(context: any ConnectorContext) {}
}

/// A connector that reads from another system into Kafka; its tasks are `SourceTask`s.
public protocol SourceConnector: Connector {
    static var taskType: any SourceTask.Type { get }
}

/// A connector that writes Kafka records to another system; its tasks are `SinkTask`s.
public protocol SinkConnector: Connector {
    static var taskType: any SinkTask.Type { get }
}

extension SourceConnector {
    public static var type: ConnectorType { .source }
}

extension SinkConnector {
    public static var type: ConnectorType { .sink }
}

/// What a source task may ask of the worker running it: the last committed offset of one of its source
/// partitions (Java's `OffsetStorageReader.offset`).
public protocol SourceTaskContext: Sendable {
    func offset(for partition: ConnectValue) async -> ConnectValue?
}

/// One task of a source connector (Java's `SourceTask`), run by one worker task at a time, so it needs no
/// locking: `start` once, then `poll` repeatedly (returning no records when there is nothing yet, after waiting
/// briefly), `commit` after the offsets of what it returned were stored, `stop` last.
public protocol SourceTask: AnyObject, SendableMetatype {
    /// Whether the worker tells the task where each record was written (`commitRecord`); off by default, as
    /// remembering every record in flight costs memory.
    static var wantsRecordCommits: Bool { get }
    init()
    func start(_ config: [String: String], context: any SourceTaskContext) async throws
    func poll() async throws -> [SourceRecord]
    /// Told, between polls and in the order they were acknowledged, that `record` was written to `topic`,
    /// `partition` at `offset` (Java's `commitRecord(record, metadata)`), when `wantsRecordCommits`.
    func commitRecord(_ record: SourceRecord, topic: String, partition: Int32, offset: Int64) async
    func commit() async throws
    func stop() async
}

extension SourceTask {
    public static var wantsRecordCommits: Bool { false }
    public func commitRecord(_ record: SourceRecord, topic: String, partition: Int32, offset: Int64) async {}
    public func commit() async throws {}
}

/// One task of a sink connector (Java's `SinkTask`), run by one worker task at a time: `start` once, `put` with
/// each batch consumed, `flush` before the worker commits the consumed offsets (everything `put` so far must be
/// durable when it returns), `stop` last.
public protocol SinkTask: AnyObject, SendableMetatype {
    init()
    func start(_ config: [String: String]) async throws
    func put(_ records: [SinkRecord]) async throws
    func flush() async throws
    func stop() async
}

/// A connector or task setting (an entry of Java's `ConfigDef`), as `/connector-plugins/…/config/validate`
/// describes it.
public struct ConfigKey: Sendable, Equatable {
    public enum ValueType: String, Sendable {
        case boolean = "BOOLEAN", string = "STRING", int = "INT", short = "SHORT", long = "LONG"
        case double = "DOUBLE", list = "LIST", `class` = "CLASS", password = "PASSWORD"
    }

    public enum Importance: String, Sendable {
        case high = "HIGH", medium = "MEDIUM", low = "LOW"
    }

    public var name: String
    public var type: ValueType
    /// nil: no default, so the setting is required.
    public var defaultValue: String?
    public var isRequired: Bool
    public var importance: Importance
    public var documentation: String
    public var group: String?
    public var orderInGroup: Int
    /// Java's `ConfigDef.Width`: NONE, SHORT, MEDIUM or LONG (a UI hint).
    public var width: String
    public var displayName: String

    public init(
        _ name: String,
        _ type: ValueType,
        default defaultValue: String?,
        required: Bool = false,
        _ importance: Importance,
        _ documentation: String,
        group: String? = nil,
        order: Int = -1,
        width: String = "NONE",
        displayName: String? = nil
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.isRequired = required
        self.importance = importance
        self.documentation = documentation
        self.group = group
        self.orderInGroup = order
        self.width = width
        self.displayName = displayName ?? name
    }
}
