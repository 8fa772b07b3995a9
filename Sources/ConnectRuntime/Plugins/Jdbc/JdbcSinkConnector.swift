import Foundation
import GRDB
public import KafkaConnect

/// `io.confluent.connect.jdbc.JdbcSinkConnector` (Confluent's JDBC sink, its class name and settings:
/// `JdbcSinkConfig`) for SQLite through GRDB: each `put` is one transaction that creates or evolves the tables
/// it needs (`auto.create`, `auto.evolve`), then inserts, upserts (`INSERT OR REPLACE` by primary key, so a
/// record written twice leaves one row: replays after a restart are harmless) or updates each record, and
/// deletes by key for tombstones when `delete.enabled`. `flush` has nothing left to do: what `put` returned from
/// is committed.
public final class JdbcSinkConnector: SinkConnector {
    public static let className = "io.confluent.connect.jdbc.JdbcSinkConnector"
    public static let version = "10.2.0-swiftkafka"
    public static let taskType: any SinkTask.Type = JdbcSinkTask.self
    public static var configKeys: [ConfigKey] { JdbcSinkConfig.keys }

    private var config: [String: String] = [:]

    public init() {}

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        _ = try JdbcSinkConfig(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] { Array(repeating: config, count: max(1, maxTasks)) }

    public func stop() {}
}

/// The task of `JdbcSinkConnector`: one SQLite database queue, the tables' columns as last seen.
public final class JdbcSinkTask: SinkTask {
    private var config: JdbcSinkConfig?
    private var database: DatabaseQueue?

    public init() {}

    public func start(_ properties: [String: String]) async throws {
        let config = try JdbcSinkConfig(properties)
        self.config = config
        // Several tasks (and readers) may share the file: wait for a lock rather than fail at once.
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        database = try DatabaseQueue(path: config.databasePath, configuration: configuration)
    }

    public func put(_ records: [SinkRecord]) async throws {
        guard let config, let database, !records.isEmpty else { return }
        // The statements of the whole batch, built before the transaction (mapping errors fail the task first).
        var statements: [(table: String, mapping: JdbcRecordMapping, sql: String, arguments: StatementArguments)] = []
        for record in records {
            let mapping = try JdbcRecordMapping(record, config)
            let table = config.tableName(for: record.topic)
            let keys = mapping.keyValues(record, config)
            if record.value == nil {
                guard config.deleteEnabled else {
                    throw ConnectDataError(
                        "Sink connector is configured with 'delete.enabled=false' and therefore requires records "
                            + "with a non-null Struct value and non-null Struct schema, but found a tombstone at "
                            + "(topic='\(record.topic)',partition=\(record.kafkaPartition),offset=\(record.kafkaOffset))"
                    )
                }
                statements.append((table, mapping, SqliteDialect.delete(table, mapping), try Self.arguments(keys)))
                continue
            }
            let values = mapping.valueValues(record)
            let arguments = try Self.arguments(config.insertMode == .update ? values + keys : keys + values)
            statements.append(
                (table, mapping, SqliteDialect.insert(table, mapping, mode: config.insertMode), arguments)
            )
        }
        let batches = stride(from: 0, to: statements.count, by: config.batchSize).map {
            Array(statements[$0..<min($0 + config.batchSize, statements.count)])
        }
        for batch in batches {
            try await database.write { db in
                var checked: Set<String> = []
                for statement in batch {
                    // Each table is checked once per transaction and column set.
                    let columns = statement.mapping.columns.map(\.name).joined(separator: "\u{0}")
                    if checked.insert(statement.table + "\u{0}" + columns).inserted {
                        try Self.prepareTable(statement.table, statement.mapping, config, db)
                    }
                    try db.execute(sql: statement.sql, arguments: statement.arguments)
                }
            }
        }
    }

    public func flush() async throws {}

    public func stop() async { database = nil }

    /// Creates the table (auto.create) or adds missing columns (auto.evolve), refusing what the settings forbid.
    static func prepareTable(
        _ table: String,
        _ mapping: JdbcRecordMapping,
        _ config: JdbcSinkConfig,
        _ db: Database
    )
        throws
    {
        guard try db.tableExists(table) else {
            guard config.autoCreate else {
                throw ConnectDataError("Table \"\(table)\" is missing and auto-creation is disabled")
            }
            try db.execute(sql: try SqliteDialect.createTable(table, mapping))
            return
        }
        let existing = Set(try db.columns(in: table).map { $0.name })
        let missing = mapping.columns.filter { !existing.contains($0.name) }
        guard !missing.isEmpty else { return }
        guard config.autoEvolve else {
            throw ConnectDataError(
                "Table \"\(table)\" is missing fields (\(missing.map(\.name).joined(separator: ", "))) and auto-evolution is disabled"
            )
        }
        for column in missing {
            guard column.schema.isOptional || column.schema.defaultValue != nil else {
                throw ConnectDataError(
                    "Cannot ALTER \(table) to add missing field \(column.name), as the field is not optional and does not have a default value"
                )
            }
            try db.execute(sql: try SqliteDialect.addColumn(table, column))
        }
    }

    /// Connect values as SQLite values: integers and booleans as integers, floats as reals, strings, bytes as blobs.
    static func arguments(_ values: [ConnectValue?]) throws(ConnectDataError) -> StatementArguments {
        var out: [(any DatabaseValueConvertible)?] = []
        for value in values {
            switch value {
            case nil: out.append(nil)
            case .boolean(let flag)?: out.append(flag ? 1 : 0)
            case .int8, .int16, .int32, .int64: out.append(value?.integerValue)
            case .float32(let number)?: out.append(Double(number))
            case .float64(let number)?: out.append(number)
            case .string(let text)?: out.append(text)
            case .bytes(let bytes)?: out.append(Data(bytes))
            case let other?: throw ConnectDataError("Unsupported source data type: \(other.schemaType)")
            }
        }
        return StatementArguments(out)
    }
}
