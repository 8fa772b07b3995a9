import KafkaConnect

/// A column a JDBC source reads: its name, its Connect schema, and whether the database increments it itself
/// (SQLite's INTEGER PRIMARY KEY, PostgreSQL's serial and identity columns): the default incrementing column.
struct JdbcSourceColumn: Sendable, Equatable {
    var name: String
    var schema: ConnectSchema
    var isAutoIncrement: Bool
}

/// What a JDBC source task reads a database through (`SqliteSourceDatabase`, `PostgresSourceDatabase`): a
/// table's columns, and queries whose rows come back as Connect values; with the dialect's placeholder
/// and timestamp-in-milliseconds SQL. Owned by one task, which closes it. (The connector lists the tables synchronously: each type's `tablesSQL`.)
protocol JdbcSourceDatabase: Sendable {
    /// The table's columns in order; empty when there is no such table.
    func columns(of table: String) async throws -> [JdbcSourceColumn]
    /// Runs `sql` with integer arguments: the result's columns (`declared` where they name them, else from the
    /// result) and its rows as those columns' values.
    func select(
        _ sql: String,
        _ arguments: [Int64],
        declared: [JdbcSourceColumn]
    ) async throws
        -> (columns: [JdbcSourceColumn], rows: [[ConnectValue?]])
    /// The `n`th (from 1) placeholder.
    func placeholder(_ n: Int) -> String
    /// An expression of a quoted column's timestamp in milliseconds since the epoch (UTC).
    func millis(_ quotedColumn: String) -> String
    func close() async
}

extension JdbcSourceDatabase {
    /// A timestamp column's value in milliseconds: Connect's Timestamp or an integer as is, a Date's days, or
    /// date text (SQLite's format).
    static func millis(of value: ConnectValue?, _ schema: ConnectSchema) -> Int64? {
        switch value {
        case .int64(let number)?: number
        case .int32(let days)? where schema.name == ConnectSchema.dateName: Int64(days) * 86_400_000
        case .string(let text)?: SqliteColumns.millis(text: text)
        default: nil
        }
    }
}
