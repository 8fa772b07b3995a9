import KafkaConnect

/// The SQL Confluent's `SqliteDatabaseDialect` writes: identifiers always quoted, Connect types as SQLite
/// column types (integers and booleans INTEGER, floats REAL, strings TEXT, bytes BLOB, Decimal and the time
/// types NUMERIC), upserts as `INSERT OR REPLACE`.
enum SqliteDialect {
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func type(of schema: ConnectSchema) throws(ConnectDataError) -> String {
        switch schema.name {
        case ConnectSchema.decimalName, ConnectSchema.dateName, ConnectSchema.timeName, ConnectSchema.timestampName:
            return "NUMERIC"
        default:
            break
        }
        switch schema.type {
        case .int8, .int16, .int32, .int64, .boolean: return "INTEGER"
        case .float32, .float64: return "REAL"
        case .string: return "TEXT"
        case .bytes: return "BLOB"
        default:
            throw ConnectDataError(
                "\(schema.type) (SQLite) type doesn't have a mapping to the SQL database column type"
            )
        }
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

    static func insert(_ table: String, _ mapping: JdbcRecordMapping, mode: JdbcSinkConfig.InsertMode) -> String {
        let columns = mapping.columns.map { quote($0.name) }
        switch mode {
        case .insert, .upsert:
            return (mode == .upsert ? "INSERT OR REPLACE INTO " : "INSERT INTO ") + quote(table) + "("
                + columns.joined(separator: ",") + ") VALUES("
                + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        case .update:
            return "UPDATE \(quote(table)) SET "
                + mapping.valueColumns.map { "\(quote($0.name)) = ?" }.joined(separator: ", ")
                + " WHERE " + mapping.keyColumns.map { "\(quote($0.name)) = ?" }.joined(separator: " AND ")
        }
    }

    static func delete(_ table: String, _ mapping: JdbcRecordMapping) -> String {
        "DELETE FROM \(quote(table)) WHERE "
            + mapping.keyColumns.map { "\(quote($0.name)) = ?" }.joined(separator: " AND ")
    }
}
