import KafkaConnect

/// The SQL Confluent's `PostgreSqlDatabaseDialect` writes: identifiers quoted, Connect types as PostgreSQL column
/// types (int8 and int16 SMALLINT, int32 INT, int64 BIGINT, float32 REAL, float64 DOUBLE PRECISION, BOOLEAN,
/// TEXT, BYTEA; Decimal DECIMAL, Date DATE, Time TIME, Timestamp TIMESTAMP), upserts as `INSERT … ON CONFLICT
/// (key) DO UPDATE SET c = EXCLUDED.c` (DO NOTHING without value columns). Placeholders are `$n`; the logical
/// types are bound as text and cast (`$n::timestamp`), so no session time zone is involved.
enum PostgresDialect: JdbcDialect {
    static func type(of schema: ConnectSchema) throws(ConnectDataError) -> String {
        switch schema.name {
        case ConnectSchema.decimalName: return "DECIMAL"
        case ConnectSchema.dateName: return "DATE"
        case ConnectSchema.timeName: return "TIME"
        case ConnectSchema.timestampName: return "TIMESTAMP"
        default: break
        }
        switch schema.type {
        case .int8, .int16: return "SMALLINT"
        case .int32: return "INT"
        case .int64: return "BIGINT"
        case .float32: return "REAL"
        case .float64: return "DOUBLE PRECISION"
        case .boolean: return "BOOLEAN"
        case .string: return "TEXT"
        case .bytes: return "BYTEA"
        default:
            throw ConnectDataError(
                "\(schema.type) (PostgreSQL) type doesn't have a mapping to the SQL database column type"
            )
        }
    }

    /// The `n`th placeholder for a value of `schema`.
    static func placeholder(_ n: Int, _ schema: ConnectSchema) -> String {
        switch schema.name {
        case ConnectSchema.decimalName: "$\(n)::numeric"
        case ConnectSchema.dateName: "$\(n)::date"
        case ConnectSchema.timeName: "$\(n)::time"
        case ConnectSchema.timestampName: "$\(n)::timestamp"
        default: "$\(n)"
        }
    }

    static func insert(_ table: String, _ mapping: JdbcRecordMapping, upsert: Bool) -> String {
        let columns = mapping.columns
        var sql =
            "INSERT INTO \(quote(table)) (" + columns.map { quote($0.name) }.joined(separator: ",") + ") VALUES ("
            + columns.enumerated().map { placeholder($0 + 1, $1.schema) }.joined(separator: ",") + ")"
        guard upsert else { return sql }
        sql += " ON CONFLICT (" + mapping.keyColumns.map { quote($0.name) }.joined(separator: ",") + ") "
        sql +=
            mapping.valueColumns.isEmpty
            ? "DO NOTHING"
            : "DO UPDATE SET "
                + mapping.valueColumns.map { "\(quote($0.name))=EXCLUDED.\(quote($0.name))" }.joined(separator: ",")
        return sql
    }
}
