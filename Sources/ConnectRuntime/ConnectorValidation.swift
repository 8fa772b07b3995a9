import Avro
import KafkaConnect

/// `PUT /connector-plugins/{type}/config/validate` (Java's `AbstractHerder.validateConnectorConfig`): every
/// setting of the plugin's full ConfigDef — Kafka 2.8's common connector keys in their groups ("Common",
/// "Transforms", "Predicates", "Error Handling", sinks' topics and dead-letter keys, sources' "Topic Creation"),
/// then the connector's own — with its definition and its value (given, else the default), and the errors found:
/// missing required keys, values not of their type, a class that is not known, sinks' topics rules, and what the
/// connector's `start` refuses (reported on the connector's first key it names, else on `connector.class`).
enum ConnectorValidation {
    static let common: [ConfigKey] = [
        ConfigKey(
            "name",
            .string,
            default: nil,
            required: true,
            .high,
            "Globally unique name to use for this connector.",
            group: "Common",
            order: 1,
            width: "MEDIUM",
            displayName: "Connector name"
        ),
        ConfigKey(
            "connector.class",
            .string,
            default: nil,
            required: true,
            .high,
            "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector.",
            group: "Common",
            order: 2,
            width: "LONG",
            displayName: "Connector class"
        ),
        ConfigKey(
            "tasks.max",
            .int,
            default: "1",
            .high,
            "Maximum number of tasks to use for this connector.",
            group: "Common",
            order: 3,
            width: "SHORT",
            displayName: "Tasks max"
        ),
        ConfigKey(
            "key.converter",
            .class,
            default: nil,
            .low,
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            group: "Common",
            order: 4,
            width: "SHORT",
            displayName: "Key converter class"
        ),
        ConfigKey(
            "value.converter",
            .class,
            default: nil,
            .low,
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            group: "Common",
            order: 5,
            width: "SHORT",
            displayName: "Value converter class"
        ),
        ConfigKey(
            "header.converter",
            .class,
            default: nil,
            .low,
            "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            group: "Common",
            order: 6,
            width: "SHORT",
            displayName: "Header converter class"
        ),
        ConfigKey(
            "config.action.reload",
            .string,
            default: "restart",
            .low,
            "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.",
            group: "Common",
            order: 7,
            width: "MEDIUM",
            displayName: "Reload Action"
        ),
        ConfigKey(
            "transforms",
            .list,
            default: "",
            .low,
            "Aliases for the transformations to be applied to records.",
            group: "Transforms",
            order: 1,
            width: "LONG",
            displayName: "Transforms"
        ),
        ConfigKey(
            "predicates",
            .list,
            default: "",
            .low,
            "Aliases for the predicates used by transformations.",
            group: "Predicates",
            order: 1,
            width: "LONG",
            displayName: "Predicates"
        ),
        ConfigKey(
            "errors.retry.timeout",
            .long,
            default: "0",
            .medium,
            "The maximum duration in milliseconds that a failed operation will be reattempted.",
            group: "Error Handling",
            order: 1,
            width: "MEDIUM",
            displayName: "Retry Timeout for Errors"
        ),
        ConfigKey(
            "errors.retry.delay.max.ms",
            .long,
            default: "60000",
            .medium,
            "The maximum duration in milliseconds between consecutive retry attempts.",
            group: "Error Handling",
            order: 2,
            width: "MEDIUM",
            displayName: "Maximum Delay Between Retries for Errors"
        ),
        ConfigKey(
            "errors.tolerance",
            .string,
            default: "none",
            .medium,
            "Behavior for tolerating errors during connector operation: 'none' or 'all'.",
            group: "Error Handling",
            order: 3,
            width: "SHORT",
            displayName: "Error Tolerance"
        ),
        ConfigKey(
            "errors.log.enable",
            .boolean,
            default: "false",
            .medium,
            "If true, write each error and the details of the failed operation and problematic record to the Connect application log.",
            group: "Error Handling",
            order: 4,
            width: "SHORT",
            displayName: "Log Errors"
        ),
        ConfigKey(
            "errors.log.include.messages",
            .boolean,
            default: "false",
            .medium,
            "Whether to include in the log the Connect record that resulted in a failure.",
            group: "Error Handling",
            order: 5,
            width: "SHORT",
            displayName: "Log Error Details"
        ),
    ]

    static let sink: [ConfigKey] = [
        ConfigKey(
            "topics",
            .list,
            default: "",
            .high,
            "List of topics to consume, separated by commas",
            group: "Common",
            order: 4,
            width: "LONG",
            displayName: "Topics"
        ),
        ConfigKey(
            "topics.regex",
            .string,
            default: "",
            .high,
            "Regular expression giving topics to consume.",
            group: "Common",
            order: 4,
            width: "LONG",
            displayName: "Topics regex"
        ),
        ConfigKey(
            "errors.deadletterqueue.topic.name",
            .string,
            default: "",
            .medium,
            "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector.",
            group: "Error Handling",
            order: 6,
            width: "MEDIUM",
            displayName: "Dead Letter Queue Topic Name"
        ),
        ConfigKey(
            "errors.deadletterqueue.topic.replication.factor",
            .short,
            default: "3",
            .medium,
            "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
            group: "Error Handling",
            order: 7,
            width: "MEDIUM",
            displayName: "Dead Letter Queue Topic Replication Factor"
        ),
        ConfigKey(
            "errors.deadletterqueue.context.headers.enable",
            .boolean,
            default: "false",
            .medium,
            "If true, add headers containing error context to the messages written to the dead letter queue.",
            group: "Error Handling",
            order: 8,
            width: "MEDIUM",
            displayName: "Enable Error Context Headers"
        ),
    ]

    static let source: [ConfigKey] = [
        ConfigKey(
            "topic.creation.groups",
            .list,
            default: "",
            .low,
            "Groups of configurations for topics created by source connectors",
            group: "Topic Creation",
            order: 1,
            width: "LONG",
            displayName: "Topic Creation Groups"
        )
    ]

    /// The ConfigInfos of `config` for `plugin`.
    static func validate(_ config: [String: String], plugin: any Connector.Type) -> JSONValue {
        let keys = common + (plugin.type == .sink ? sink : source) + plugin.configKeys
        var errors: [String: [String]] = [:]
        for key in keys {
            guard let value = config[key.name] else {
                if key.isRequired {
                    errors[key.name, default: []].append(
                        "Missing required configuration \"\(key.name)\" which has no default value."
                    )
                }
                continue
            }
            if let problem = typeError(key, value) { errors[key.name, default: []].append(problem) }
        }
        if plugin.type == .sink {
            let topics = !(config["topics"] ?? "").isEmpty
            let regex = !(config["topics.regex"] ?? "").isEmpty
            if topics == regex {
                let message =
                    topics
                    ? "topics and topics.regex are mutually exclusive options, but both are set."
                    : "Must configure one of topics or topics.regex"
                errors["topics", default: []].append(message)
                errors["topics.regex", default: []].append(message)
            }
        }
        do {
            _ = try TransformationChain(connectorConfig: config)
        } catch {
            errors["transforms", default: []].append(error.message)
        }
        if errors.isEmpty {
            do {
                // Started only to see whether it accepts the configuration: stopped at once, so a connector
                // with background work (MirrorMaker's) does not keep it running.
                let probe = plugin.init()
                try probe.start(config)
                probe.stop()
            } catch {
                let named = plugin.configKeys.first {
                    error.message.contains("'\($0.name)'") || error.message.contains(" \($0.name)")
                }
                errors[named?.name ?? "connector.class", default: []].append(error.message)
            }
        }
        var groups: [String] = []
        for key in keys { if let group = key.group, !groups.contains(group) { groups.append(group) } }
        let configs = keys.map { key in
            JSONValue.object(
                JSONObject([
                    (
                        "definition",
                        .object(
                            JSONObject([
                                ("name", .string(key.name)), ("type", .string(key.type.rawValue)),
                                ("required", .bool(key.isRequired)),
                                ("default_value", key.defaultValue.map(JSONValue.string) ?? .null),
                                ("importance", .string(key.importance.rawValue)),
                                ("documentation", .string(key.documentation)),
                                ("group", key.group.map(JSONValue.string) ?? .null), ("width", .string(key.width)),
                                ("display_name", .string(key.displayName)), ("dependents", .array([])),
                                ("order", .number(JSONNumber(String(key.orderInGroup)))),
                            ])
                        )
                    ),
                    (
                        "value",
                        .object(
                            JSONObject([
                                ("name", .string(key.name)),
                                ("value", (config[key.name] ?? key.defaultValue).map(JSONValue.string) ?? .null),
                                ("recommended_values", .array([])),
                                ("errors", .array((errors[key.name] ?? []).map(JSONValue.string))),
                                ("visible", .bool(true)),
                            ])
                        )
                    ),
                ])
            )
        }
        return .object(
            JSONObject([
                ("name", .string(plugin.className)),
                ("error_count", .number(JSONNumber(String(errors.values.reduce(0) { $0 + $1.count })))),
                ("groups", .array(groups.map(JSONValue.string))),
                ("configs", .array(configs)),
            ])
        )
    }

    /// Java's parse error for a value that is not of the key's type.
    static func typeError(_ key: ConfigKey, _ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let valid: Bool
        switch key.type {
        case .int: valid = Int32(trimmed) != nil && (key.name != "tasks.max" || (Int32(trimmed) ?? 0) >= 1)
        case .short: valid = Int16(trimmed) != nil
        case .long: valid = Int64(trimmed) != nil
        case .double: valid = Double(trimmed) != nil
        case .boolean: valid = ["true", "false"].contains(trimmed.lowercased())
        case .class:
            valid =
                key.name == "connector.class" || trimmed.isEmpty
                || Converters.type(named: trimmed, known: WorkerConverters.known) != nil
        default: valid = true
        }
        if valid { return nil }
        if key.name == "tasks.max", Int32(trimmed) != nil {
            return "Invalid value \(value) for configuration tasks.max: Value must be at least 1"
        }
        if key.type == .class {
            return "Invalid value \(value) for configuration \(key.name): Class \(value) could not be found."
        }
        return "Invalid value \(value) for configuration \(key.name): Not a number of type \(key.type.rawValue)"
    }
}
