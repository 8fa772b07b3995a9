import Foundation
import GRDB
import KafkaConnect

/// One statement of a sink batch: a record written (inserted, upserted or updated as `insert.mode` says) or deleted
/// (a tombstone) in `table`, with the values to bind — key then value columns for a write (value then key for an
/// update), key columns for a delete.
struct JdbcSinkStatement: Sendable {
    enum Kind: Sendable { case write, delete }

    var table: String
    var mapping: JdbcRecordMapping
    var kind: Kind
    var values: [ConnectValue?]

    /// The columns `values` binds to, in order.
    func boundColumns(_ mode: JdbcSinkConfig.InsertMode) -> [JdbcRecordMapping.Column] {
        switch (kind, mode) {
        case (.delete, _): mapping.keyColumns
        case (.write, .update): mapping.valueColumns + mapping.keyColumns
        case (.write, _): mapping.keyColumns + mapping.valueColumns
        }
    }
}

/// Where a JDBC sink task writes: each `write` is one transaction that creates or evolves the tables it needs
/// (`auto.create`, `auto.evolve`) and runs its statements. Owned by one sink task.
protocol JdbcSinkDatabase: Sendable {
    func write(_ batch: [JdbcSinkStatement], _ config: JdbcSinkConfig) async throws
    func close() async
}

extension JdbcSinkDatabase {
    /// What `prepareTable` decides: nothing to do, create the table, or add these columns.
    static func tableChange(
        _ table: String,
        _ mapping: JdbcRecordMapping,
        existing: Set<String>?,
        _ config: JdbcSinkConfig
    ) throws(ConnectDataError) -> (create: Bool, add: [JdbcRecordMapping.Column]) {
        guard let existing else {
            guard config.autoCreate else {
                throw ConnectDataError("Table \"\(table)\" is missing and auto-creation is disabled")
            }
            return (true, [])
        }
        let missing = mapping.columns.filter { !existing.contains($0.name) }
        guard !missing.isEmpty else { return (false, []) }
        guard config.autoEvolve else {
            throw ConnectDataError(
                "Table \"\(table)\" is missing fields (\(missing.map(\.name).joined(separator: ", "))) and auto-evolution is disabled"
            )
        }
        for column in missing where !(column.schema.isOptional || column.schema.defaultValue != nil) {
            throw ConnectDataError(
                "Cannot ALTER \(table) to add missing field \(column.name), as the field is not optional and does not have a default value"
            )
        }
        return (false, missing)
    }
}

/// A SQLite database file through GRDB (`SqliteDialect`'s SQL). Several tasks (and readers) may share the file: a
/// locked database is waited for, not failed at once.
struct SqliteSinkDatabase: JdbcSinkDatabase {
    let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func write(_ batch: [JdbcSinkStatement], _ config: JdbcSinkConfig) async throws {
        try await queue.write { db in
            var checked: Set<String> = []
            for statement in batch {
                // Each table is checked once per transaction and column set.
                let columns = statement.mapping.columns.map(\.name).joined(separator: "\u{0}")
                if checked.insert(statement.table + "\u{0}" + columns).inserted {
                    try Self.prepareTable(statement.table, statement.mapping, config, db)
                }
                let sql =
                    statement.kind == .delete
                    ? SqliteDialect.delete(statement.table, statement.mapping)
                    : SqliteDialect.write(statement.table, statement.mapping, mode: config.insertMode)
                try db.execute(sql: sql, arguments: try Self.arguments(statement.values))
            }
        }
    }

    func close() async {}

    static func prepareTable(
        _ table: String,
        _ mapping: JdbcRecordMapping,
        _ config: JdbcSinkConfig,
        _ db: Database
    )
        throws
    {
        let existing = try db.tableExists(table) ? Set(try db.columns(in: table).map(\.name)) : nil
        let change = try tableChange(table, mapping, existing: existing, config)
        if change.create { try db.execute(sql: try SqliteDialect.createTable(table, mapping)) }
        for column in change.add { try db.execute(sql: try SqliteDialect.addColumn(table, column)) }
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
