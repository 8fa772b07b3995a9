import KafkaConnect

/// What the JDBC sink's SQL needs of a database (Confluent's `DatabaseDialect`): its column type for a Connect
/// schema, its `n`th (from 1) placeholder for a value of a schema, and its insert or upsert. The rest — quoted
/// identifiers, CREATE TABLE and ALTER TABLE … ADD with the key as PRIMARY KEY, UPDATE by key, DELETE by key — is the
/// same SQL for each (`SqliteDialect`, `PostgresDialect`).
protocol JdbcDialect {
    static func type(of schema: ConnectSchema) throws(ConnectDataError) -> String
    static func placeholder(_ n: Int, _ schema: ConnectSchema) -> String
    /// An insert (or upsert) of every column, key columns first.
    static func insert(_ table: String, _ mapping: JdbcRecordMapping, upsert: Bool) -> String
}

extension JdbcDialect {
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func column(_ column: JdbcRecordMapping.Column) throws(ConnectDataError) -> String {
        "\(quote(column.name)) \(try type(of: column.schema))" + (column.schema.isOptional ? " NULL" : " NOT NULL")
    }

    static func createTable(_ table: String, _ mapping: JdbcRecordMapping) throws(ConnectDataError) -> String {
        var parts: [String] = []
        for column in mapping.columns { parts.append(try self.column(column)) }
        if !mapping.keyColumns.isEmpty {
            parts.append("PRIMARY KEY(" + mapping.keyColumns.map { quote($0.name) }.joined(separator: ",") + ")")
        }
        return "CREATE TABLE \(quote(table)) (\n" + parts.joined(separator: ",\n") + ")"
    }

    static func addColumn(_ table: String, _ column: JdbcRecordMapping.Column) throws(ConnectDataError) -> String {
        "ALTER TABLE \(quote(table)) ADD \(try self.column(column))"
    }

    /// The write of one record as `insert.mode` says; binds `JdbcSinkStatement.boundColumns(mode)` in order.
    static func write(_ table: String, _ mapping: JdbcRecordMapping, mode: JdbcSinkConfig.InsertMode) -> String {
        guard mode == .update else { return insert(table, mapping, upsert: mode == .upsert) }
        let values = mapping.valueColumns
        return "UPDATE \(quote(table)) SET "
            + values.enumerated().map { "\(quote($1.name)) = \(placeholder($0 + 1, $1.schema))" }
            .joined(separator: ", ")
            + " WHERE " + keyCondition(mapping, after: values.count)
    }

    static func delete(_ table: String, _ mapping: JdbcRecordMapping) -> String {
        "DELETE FROM \(quote(table)) WHERE " + keyCondition(mapping, after: 0)
    }

    /// `k1 = p AND k2 = p …`, the placeholders numbered after the first `after`.
    private static func keyCondition(_ mapping: JdbcRecordMapping, after: Int) -> String {
        mapping.keyColumns.enumerated().map { "\(quote($1.name)) = \(placeholder(after + $0 + 1, $1.schema))" }
            .joined(separator: " AND ")
    }
}
