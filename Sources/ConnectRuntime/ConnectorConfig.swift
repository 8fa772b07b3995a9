import KafkaConnect

/// The connector settings the worker itself reads (Kafka 2.8's `ConnectorConfig` / `SinkConnectorConfig`):
/// `name`, `connector.class` (full class name or its alias without the package, with or without the
/// `Connector` suffix), `tasks.max` (1), per-connector `key.converter` / `value.converter` (and their
/// `key.converter.*` settings) over the worker's, and for sinks `topics` or `topics.regex` (exactly one).
/// `transforms` and `predicates` build the task's `TransformationChain`; the `errors.*` settings its
/// `ErrorPolicy`.
struct ConnectorConfig: Sendable {
    var name: String
    var plugin: any Connector.Type
    var tasksMax: Int
    var keyConverter: String?
    var valueConverter: String?
    var keyConverterProperties: [String: String]
    var valueConverterProperties: [String: String]
    var topics: [String]
    var topicsRegex: String?
    var transforms: TransformationChain
    var errors: ErrorPolicy
    var properties: [String: String]

    /// The settings of a connector a REST request creates or reconfigures: a refusal is the herder's 400.
    static func requested(_ properties: [String: String]) throws(HerderError) -> ConnectorConfig {
        do {
            return try ConnectorConfig(properties)
        } catch {
            throw .badRequest(error.message)
        }
    }

    init(_ properties: [String: String]) throws(ConnectConfigError) {
        guard let name = properties["name"], !name.isEmpty else {
            throw ConnectConfigError("Connector config \(properties) contains no connector type")
        }
        guard let className = properties["connector.class"] else {
            throw ConnectConfigError(
                "Missing required configuration \"connector.class\" which has no default value."
            )
        }
        guard let plugin = Plugins.connector(named: className) else {
            throw ConnectConfigError(
                "Failed to find any class that implements Connector and which name matches \(className), "
                    + "available connectors are: \(Plugins.connectors.map { $0.className }.joined(separator: ", "))"
            )
        }
        self.name = name
        self.plugin = plugin
        self.properties = properties
        let tasks = properties["tasks.max"] ?? "1"
        guard let tasksMax = Int(tasks), tasksMax >= 1 else {
            throw ConnectConfigError("Invalid value \(tasks) for configuration tasks.max: Value must be at least 1")
        }
        self.tasksMax = tasksMax
        keyConverter = properties["key.converter"]
        valueConverter = properties["value.converter"]
        keyConverterProperties = Self.prefixed("key.converter.", properties)
        valueConverterProperties = Self.prefixed("value.converter.", properties)
        transforms = try TransformationChain(connectorConfig: properties)
        errors = try ErrorPolicy(properties)
        topics = (properties["topics"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        topicsRegex = properties["topics.regex"].flatMap { $0.isEmpty ? nil : $0 }
        if plugin.type == .sink {
            if !topics.isEmpty && topicsRegex != nil {
                throw ConnectConfigError(
                    "topics and topics.regex are mutually exclusive options, but both are set."
                )
            }
            if topics.isEmpty && topicsRegex == nil {
                throw ConnectConfigError(
                    "Must configure one of topics or topics.regex"
                )
            }
        }
    }

    static func prefixed(_ prefix: String, _ properties: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in properties where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = value }
        return out
    }
}

/// The connector plugins built into this worker.
enum Plugins {
    static let connectors: [any Connector.Type] = [
        FileStreamSinkConnector.self, FileStreamSourceConnector.self, JdbcSinkConnector.self, JdbcSourceConnector.self,
        MirrorSourceConnector.self, MirrorCheckpointConnector.self, MirrorHeartbeatConnector.self,
    ]

    /// The plugin a `connector.class` names: its full class name, or the simple name with or without the
    /// `Connector` suffix (Connect's aliases).
    static func connector(named name: String) -> (any Connector.Type)? {
        let name = name.trimmingCharacters(in: .whitespaces)
        return connectors.first { plugin in
            let simple = String(plugin.className.split(separator: ".").last ?? "")
            return plugin.className == name || simple == name
                || (simple.hasSuffix("Connector") && String(simple.dropLast("Connector".count)) == name)
        }
    }
}
