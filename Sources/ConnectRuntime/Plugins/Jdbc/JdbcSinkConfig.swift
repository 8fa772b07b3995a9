import KafkaConnect

/// The settings of `JdbcSinkConnector`, Confluent's JDBC sink names and defaults: `connection.url`
/// (`jdbc:sqlite:/path.db`), `insert.mode` (insert, upsert, update), `pk.mode` (none, kafka, record_key,
/// record_value) with `pk.fields`, `fields.whitelist`, `table.name.format` (`${topic}`), `auto.create`,
/// `auto.evolve`, `delete.enabled` (tombstones delete by key; needs `pk.mode=record_key`), `batch.size`.
/// The connection settings are `JdbcConnection`'s. A failed write is retried `max.retries` times (10),
/// `retry.backoff.ms` (3000) apart, on a new connection.
struct JdbcSinkConfig: Sendable {
    enum InsertMode: String, Sendable { case insert, upsert, update }
    enum PrimaryKeyMode: String, Sendable {
        case none, kafka
        case recordKey = "record_key"
        case recordValue = "record_value"
    }

    var target: JdbcConnection.Target
    var insertMode = InsertMode.insert
    var pkMode = PrimaryKeyMode.none
    var pkFields: [String] = []
    var fieldsWhitelist: [String] = []
    var tableNameFormat = "${topic}"
    var autoCreate = false
    var autoEvolve = false
    var deleteEnabled = false
    var batchSize = 3000
    var maxRetries = 10
    var retryBackoffMs = 3000

    static let keys: [ConfigKey] =
        JdbcConnection.keys(group: "Connection") + [
            ConfigKey(
                "insert.mode",
                .string,
                default: "insert",
                .high,
                "The insertion mode to use: insert, upsert or update.",
                group: "Writes",
                order: 1,
                width: "MEDIUM",
                displayName: "Insert Mode"
            ),
            ConfigKey(
                "batch.size",
                .int,
                default: "3000",
                .medium,
                "Specifies how many records to attempt to batch together for insertion into the destination table, when possible.",
                group: "Writes",
                order: 2,
                width: "SHORT",
                displayName: "Batch Size"
            ),
            ConfigKey(
                "delete.enabled",
                .boolean,
                default: "false",
                .medium,
                "Whether to treat null record values as deletes. Requires pk.mode to be record_key.",
                group: "Writes",
                order: 3,
                width: "SHORT",
                displayName: "Enable deletes"
            ),
            ConfigKey(
                "table.name.format",
                .string,
                default: "${topic}",
                .medium,
                "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.",
                group: "Data Mapping",
                order: 1,
                width: "LONG",
                displayName: "Table Name Format"
            ),
            ConfigKey(
                "pk.mode",
                .string,
                default: "none",
                .high,
                "The primary key mode: none, kafka, record_key or record_value.",
                group: "Data Mapping",
                order: 2,
                width: "MEDIUM",
                displayName: "Primary Key Mode"
            ),
            ConfigKey(
                "pk.fields",
                .list,
                default: "",
                .medium,
                "List of comma-separated primary key field names.",
                group: "Data Mapping",
                order: 3,
                width: "LONG",
                displayName: "Primary Key Fields"
            ),
            ConfigKey(
                "fields.whitelist",
                .list,
                default: "",
                .medium,
                "List of comma-separated record value field names. If empty, all fields from the record value are utilized.",
                group: "Data Mapping",
                order: 4,
                width: "LONG",
                displayName: "Fields Whitelist"
            ),
            ConfigKey(
                "auto.create",
                .boolean,
                default: "false",
                .medium,
                "Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE.",
                group: "DDL Support",
                order: 1,
                width: "SHORT",
                displayName: "Auto-Create"
            ),
            ConfigKey(
                "auto.evolve",
                .boolean,
                default: "false",
                .medium,
                "Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER.",
                group: "DDL Support",
                order: 2,
                width: "SHORT",
                displayName: "Auto-Evolve"
            ),
            ConfigKey(
                "max.retries",
                .int,
                default: "10",
                .medium,
                "The maximum number of times to retry on errors before failing the task.",
                group: "Retries",
                order: 1,
                width: "SHORT",
                displayName: "Maximum Retries"
            ),
            ConfigKey(
                "retry.backoff.ms",
                .int,
                default: "3000",
                .medium,
                "The time in milliseconds to wait following an error before a retry attempt is made.",
                group: "Retries",
                order: 2,
                width: "SHORT",
                displayName: "Retry Backoff (millis)"
            ),
        ]

    init(_ config: [String: String]) throws(ConnectConfigError) {
        target = try JdbcConnection.target(config)
        func parse<T: RawRepresentable<String>>(_ key: String, _ fallback: T) throws(ConnectConfigError) -> T {
            guard let text = config[key] else { return fallback }
            guard let value = T(rawValue: text.lowercased()) else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key)")
            }
            return value
        }
        insertMode = try parse("insert.mode", InsertMode.insert)
        pkMode = try parse("pk.mode", PrimaryKeyMode.none)
        pkFields = JdbcConnection.list(config["pk.fields"])
        fieldsWhitelist = JdbcConnection.list(config["fields.whitelist"])
        tableNameFormat = config["table.name.format"].flatMap { $0.isEmpty ? nil : $0 } ?? "${topic}"
        autoCreate = config["auto.create"]?.lowercased() == "true"
        autoEvolve = config["auto.evolve"]?.lowercased() == "true"
        deleteEnabled = config["delete.enabled"]?.lowercased() == "true"
        func count(_ key: String, _ fallback: Int) throws(ConnectConfigError) -> Int {
            guard let text = config[key] else { return fallback }
            guard let value = Int(text), value >= 0 else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key)")
            }
            return value
        }
        maxRetries = try count("max.retries", 10)
        retryBackoffMs = try count("retry.backoff.ms", 3000)
        if let size = config["batch.size"] {
            guard let value = Int(size), value > 0 else {
                throw ConnectConfigError("Invalid value \(size) for configuration batch.size")
            }
            batchSize = value
        }
        if deleteEnabled && pkMode != .recordKey {
            throw ConnectConfigError("Deletes are only supported for pk.mode record_key")
        }
        if insertMode != .insert && pkMode == .none {
            throw ConnectConfigError("insert.mode \(insertMode.rawValue) requires a primary key: set pk.mode")
        }
        if pkMode == .kafka && !pkFields.isEmpty && pkFields.count != 3 {
            throw ConnectConfigError(
                "PK mode for table is KAFKA so there should either be no field names defined for defaults __connect_topic, __connect_partition and __connect_offset to be applicable, or exactly 3"
            )
        }
    }

    func tableName(for topic: String) -> String { tableNameFormat.replacingOccurrences(of: "${topic}", with: topic) }
}
