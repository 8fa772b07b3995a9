import KafkaConnect

/// The settings of `JdbcSourceConnector`, with Confluent's names and defaults: `mode` (bulk, incrementing,
/// timestamp, timestamp+incrementing; required), `incrementing.column.name` (empty: the table's auto-incrementing
/// column — SQLite's INTEGER PRIMARY KEY, a PostgreSQL serial or identity), `timestamp.column.name` (a list: the first non-null of them counts, as
/// Confluent's COALESCE), `timestamp.initial` (ms; -1: now), `validate.non.null`, `table.whitelist` /
/// `table.blacklist` (not both) or `query` (not with either), `topic.prefix` (required), `poll.interval.ms` (5000),
/// `batch.max.rows` (100), `timestamp.delay.interval.ms` (0). The connection settings are `JdbcConnection`'s;
/// `table.poll.interval.ms`, `table.types`, `db.timezone` and `numeric.mapping` are accepted.
struct JdbcSourceConfig: Sendable {
    enum Mode: String, Sendable {
        case bulk, incrementing, timestamp
        case timestampIncrementing = "timestamp+incrementing"

        var usesIncrementing: Bool { self == .incrementing || self == .timestampIncrementing }
        var usesTimestamp: Bool { self == .timestamp || self == .timestampIncrementing }
    }

    var target: JdbcConnection.Target
    var mode: Mode
    var incrementingColumn: String?
    var timestampColumns: [String] = []
    var timestampInitial: Int64?
    var validateNonNull = true
    var tableWhitelist: [String] = []
    var tableBlacklist: [String] = []
    var query: String?
    var topicPrefix: String
    var pollIntervalMs = 5000
    var batchMaxRows = 100
    var timestampDelayMs: Int64 = 0

    static let keys: [ConfigKey] =
        JdbcConnection.keys(group: "Database") + [
            key("table.whitelist", .list, "", .medium, "List of tables to include in copying.", "Database", 4),
            key("table.blacklist", .list, "", .medium, "List of tables to exclude from copying.", "Database", 5),
            key(
                "mode",
                .string,
                nil,
                .high,
                "The mode for updating a table each time it is polled: bulk, timestamp, incrementing or timestamp+incrementing.",
                "Mode",
                1
            ),
            key(
                "incrementing.column.name",
                .string,
                "",
                .medium,
                "The name of the strictly incrementing column to use to detect new rows. Empty: the auto-increment column.",
                "Mode",
                2
            ),
            key(
                "timestamp.column.name",
                .list,
                "",
                .medium,
                "Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function.",
                "Mode",
                3
            ),
            key(
                "timestamp.initial",
                .long,
                nil,
                .low,
                "The epoch timestamp used for initial queries that use timestamp criteria. Use -1 to use the current time.",
                "Mode",
                4
            ),
            key(
                "validate.non.null",
                .boolean,
                "true",
                .low,
                "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp.",
                "Mode",
                5
            ),
            key(
                "query",
                .string,
                "",
                .medium,
                "If specified, the query to perform to select new or updated rows.",
                "Mode",
                6
            ),
            key(
                "poll.interval.ms",
                .int,
                "5000",
                .high,
                "Frequency in ms to poll for new data in each table.",
                "Connector",
                1
            ),
            key(
                "batch.max.rows",
                .int,
                "100",
                .low,
                "Maximum number of rows to include in a single batch when polling for new data.",
                "Connector",
                2
            ),
            key(
                "topic.prefix",
                .string,
                nil,
                .high,
                "Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.",
                "Connector",
                4
            ),
            key(
                "timestamp.delay.interval.ms",
                .long,
                "0",
                .high,
                "How long to wait after a row with certain timestamp appears before we include it in the result.",
                "Connector",
                5
            ),
        ]

    private static func key(
        _ name: String,
        _ type: ConfigKey.ValueType,
        _ defaultValue: String?,
        _ importance: ConfigKey.Importance,
        _ documentation: String,
        _ group: String,
        _ order: Int
    ) -> ConfigKey {
        ConfigKey(
            name,
            type,
            default: defaultValue,
            required: defaultValue == nil && (name == "mode" || name == "topic.prefix"),
            importance,
            documentation,
            group: group,
            order: order,
            width: type == .list || name == "query" ? "LONG" : "MEDIUM"
        )
    }

    init(_ config: [String: String]) throws(ConnectConfigError) {
        target = try JdbcConnection.target(config)
        guard let modeText = config["mode"], let mode = Mode(rawValue: modeText.lowercased()) else {
            throw ConnectConfigError(
                "Invalid value \(config["mode"] ?? "null") for configuration mode: one of bulk, timestamp, incrementing, timestamp+incrementing"
            )
        }
        self.mode = mode
        guard let prefix = config["topic.prefix"] else {
            throw ConnectConfigError("Missing required configuration \"topic.prefix\" which has no default value.")
        }
        topicPrefix = prefix
        incrementingColumn = config["incrementing.column.name"].flatMap { $0.isEmpty ? nil : $0 }
        timestampColumns = JdbcConnection.list(config["timestamp.column.name"])
        validateNonNull = config["validate.non.null"]?.lowercased() != "false"
        tableWhitelist = JdbcConnection.list(config["table.whitelist"])
        tableBlacklist = JdbcConnection.list(config["table.blacklist"])
        query = config["query"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        if !tableWhitelist.isEmpty && !tableBlacklist.isEmpty {
            throw ConnectConfigError("table.whitelist and table.blacklist are exclusive.")
        }
        if query != nil && !(tableWhitelist.isEmpty && tableBlacklist.isEmpty) {
            throw ConnectConfigError("Do not specify table filtering for a query-based source")
        }
        if mode.usesTimestamp && timestampColumns.isEmpty {
            throw ConnectConfigError(
                "Query mode must be specified: timestamp.column.name is required for mode \(mode.rawValue)"
            )
        }
        func integer(_ key: String, _ fallback: Int64, minimum: Int64) throws(ConnectConfigError) -> Int64 {
            guard let text = config[key] else { return fallback }
            guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= minimum else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key)")
            }
            return value
        }
        pollIntervalMs = Int(try integer("poll.interval.ms", 5000, minimum: 1))
        batchMaxRows = Int(try integer("batch.max.rows", 100, minimum: 1))
        timestampDelayMs = try integer("timestamp.delay.interval.ms", 0, minimum: 0)
        if config["timestamp.initial"] != nil { timestampInitial = try integer("timestamp.initial", -1, minimum: -1) }
    }

    /// Whether table mode copies `table` (the lists compare exact names).
    func includes(table: String) -> Bool {
        tableWhitelist.isEmpty ? !tableBlacklist.contains(table) : tableWhitelist.contains(table)
    }
}
