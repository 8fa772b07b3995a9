import KafkaConnect

/// The SQL Confluent's `SqliteDatabaseDialect` writes: Connect types as SQLite column types (integers and booleans
/// INTEGER, floats REAL, strings TEXT, bytes BLOB, Decimal and the time types NUMERIC), `?` placeholders, upserts
/// as `INSERT OR REPLACE`.
enum SqliteDialect: JdbcDialect {
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

    static func placeholder(_ n: Int, _ schema: ConnectSchema) -> String { "?" }

    static func insert(_ table: String, _ mapping: JdbcRecordMapping, upsert: Bool) -> String {
        let columns = mapping.columns.map { quote($0.name) }
        return (upsert ? "INSERT OR REPLACE INTO " : "INSERT INTO ") + quote(table) + "("
            + columns.joined(separator: ",") + ") VALUES("
            + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
    }
}
