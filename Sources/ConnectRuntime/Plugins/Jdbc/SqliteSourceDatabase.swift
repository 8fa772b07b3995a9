import GRDB
import KafkaConnect

/// A SQLite database file a JDBC source reads through GRDB, read-only; a database locked by a writer is waited for.
/// Columns are typed by `SqliteColumns`; timestamps compare as milliseconds: an INTEGER column holds them, a TEXT
/// one SQLite's date text (UTC), converted by `julianday`.
struct SqliteSourceDatabase: JdbcSourceDatabase {
    let queue: DatabaseQueue

    static let tablesSQL =
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"

    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.readonly = true
        return configuration
    }

    init(path: String) throws {
        queue = try DatabaseQueue(path: path, configuration: Self.configuration)
    }

    func columns(of table: String) async throws -> [JdbcSourceColumn] {
        try await queue.read { db in try SqliteColumns.of(table: table, db) }
    }

    func select(
        _ sql: String,
        _ arguments: [Int64],
        declared: [JdbcSourceColumn]
    ) async throws
        -> (columns: [JdbcSourceColumn], rows: [[ConnectValue?]])
    {
        try await queue.read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            guard let first = rows.first else { return ([], []) }
            let inferred = SqliteColumns.inferred(from: rows)
            let columns = first.columnNames.enumerated().map { index, name in
                declared.first { $0.name == name } ?? inferred[index]
            }
            let values = try rows.map { row in
                try columns.indices.map { index in
                    try SqliteColumns.value(row[index] as DatabaseValue, as: columns[index].schema)
                }
            }
            return (columns, values)
        }
    }

    func placeholder(_ n: Int) -> String { "?" }

    func millis(_ quotedColumn: String) -> String {
        "(CASE typeof(\(quotedColumn)) WHEN 'integer' THEN \(quotedColumn) WHEN 'real' THEN CAST(\(quotedColumn) AS INTEGER)"
            + " ELSE CAST(ROUND((julianday(\(quotedColumn)) - 2440587.5) * 86400000.0) AS INTEGER) END)"
    }

    func close() async {}
}
