import Foundation
import KafkaConnect
import Logging
import NIOCore
import PostgresNIO

/// A PostgreSQL database a JDBC source reads through one PostgresNIO connection: tables and columns of the current
/// schema (`information_schema`), serial and identity columns as auto-incrementing, results in PostgreSQL's binary
/// format read as Connect values — smallint int16, integer int32, bigint int64, boolean, real float32, double
/// float64, numeric float64, text types string, bytea bytes, timestamp (with or without time zone) Connect's
/// Timestamp, date Connect's Date. Timestamp columns compare as `EXTRACT(EPOCH …)` milliseconds.
final class PostgresSourceDatabase: JdbcSourceDatabase {
    let session: PostgresSession
    var connection: PostgresConnection { session.connection }
    var logger: Logger { session.logger }
    /// Days and milliseconds from the Unix epoch to PostgreSQL's (2000-01-01).
    static let epochDays: Int64 = 10_957
    static let epochMillis: Int64 = 946_684_800_000

    private init(_ session: PostgresSession) {
        self.session = session
    }

    static func connect(_ target: JdbcConnection.Target) async throws -> PostgresSourceDatabase {
        PostgresSourceDatabase(
            try await PostgresSession.open(
                try target.postgresConfiguration(),
                logger: Logger(label: "swiftkafka.connect.jdbc")
            )
        )
    }

    static let tablesSQL =
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"

    /// The tables, for a connector's synchronous `start`: a connection of its own, waited for on its event loop.
    static func tableNamesBlocking(_ target: JdbcConnection.Target) throws -> [String] {
        let logger = Logger(label: "swiftkafka.connect.jdbc")
        let connection = try PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(),
            configuration: try target.postgresConfiguration(),
            id: 1,
            logger: logger
        ).wait()
        defer { try? connection.close().wait() }
        let result = try connection.query(PostgresQuery(unsafeSQL: tablesSQL), logger: logger).wait()
        return try result.rows.map { try $0.decode(String.self) }
    }

    func columns(of table: String) async throws -> [JdbcSourceColumn] {
        let rows = try await connection.query(
            """
            SELECT column_name, data_type, is_nullable, COALESCE(column_default, ''), is_identity
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)
            ORDER BY ordinal_position
            """,
            logger: logger
        )
        var columns: [JdbcSourceColumn] = []
        for try await (name, type, nullable, defaultValue, identity) in rows.decode(
            (String, String, String, String, String).self
        ) {
            columns.append(
                JdbcSourceColumn(
                    name: name,
                    schema: Self.schema(typeName: type).with(optional: nullable == "YES"),
                    isAutoIncrement: defaultValue.hasPrefix("nextval(") || identity == "YES"
                )
            )
        }
        return columns
    }

    func select(
        _ sql: String,
        _ arguments: [Int64],
        declared: [JdbcSourceColumn]
    ) async throws
        -> (columns: [JdbcSourceColumn], rows: [[ConnectValue?]])
    {
        let logger = logger
        return try await session.watched { connection in
            try await Self.select(sql, arguments, declared: declared, connection, logger)
        }
    }

    private static func select(
        _ sql: String,
        _ arguments: [Int64],
        declared: [JdbcSourceColumn],
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws
        -> (columns: [JdbcSourceColumn], rows: [[ConnectValue?]])
    {
        var binds = PostgresBindings()
        for argument in arguments { binds.append(argument) }
        var columns: [JdbcSourceColumn] = []
        var rows: [[ConnectValue?]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            let cells = Array(row)
            if columns.isEmpty {
                columns = cells.map { cell in
                    let schema = schema(of: cell.dataType)
                    let optional = declared.first { $0.name == cell.columnName }?.schema.isOptional ?? true
                    return JdbcSourceColumn(
                        name: cell.columnName,
                        schema: schema.with(optional: optional),
                        isAutoIncrement: false
                    )
                }
            }
            rows.append(try cells.map(value))
        }
        return (columns, rows)
    }

    func placeholder(_ n: Int) -> String { "$\(n)" }

    func millis(_ quotedColumn: String) -> String { "(EXTRACT(EPOCH FROM \(quotedColumn)) * 1000)::bigint" }

    func close() async {
        await session.close()
    }

    static func schema(typeName: String) -> ConnectSchema {
        switch typeName {
        case "smallint": .int16
        case "integer": .int32
        case "bigint": .int64
        case "boolean": .boolean
        case "real": .float32
        case "double precision", "numeric": .float64
        case "bytea": .bytes
        case "timestamp without time zone", "timestamp with time zone": .timestamp
        case "date": .date
        default: .string
        }
    }

    static func schema(of type: PostgresDataType) -> ConnectSchema {
        switch type {
        case .int2: .int16
        case .int4: .int32
        case .int8: .int64
        case .bool: .boolean
        case .float4: .float32
        case .float8, .numeric: .float64
        case .bytea: .bytes
        case .timestamp, .timestamptz: .timestamp
        case .date: .date
        default: .string
        }
    }

    /// A cell as its Connect value (binary format): timestamps and dates from PostgreSQL's 2000-01-01 epoch.
    static func value(_ cell: PostgresCell) throws -> ConnectValue? {
        guard var bytes = cell.bytes else { return nil }
        switch cell.dataType {
        case .int2: return .int16(try cell.decode(Int16.self))
        case .int4: return .int32(try cell.decode(Int32.self))
        case .int8: return .int64(try cell.decode(Int64.self))
        case .bool: return .boolean(try cell.decode(Bool.self))
        case .float4: return .float32(try cell.decode(Float.self))
        case .float8: return .float64(try cell.decode(Double.self))
        case .numeric:
            guard let number = Double(try cell.decode(Decimal.self).description) else {
                throw ConnectDataError("Cannot read the numeric value of \(cell.columnName)")
            }
            return .float64(number)
        case .bytea: return .bytes(bytes.readBytes(length: bytes.readableBytes) ?? [])
        case .timestamp, .timestamptz:
            guard cell.format == .binary, let micros = bytes.readInteger(as: Int64.self) else { break }
            // Floor division: a time before 2000 is still the millisecond it falls in.
            return .int64((micros >= 0 ? micros / 1000 : (micros - 999) / 1000) + epochMillis)
        case .date:
            guard cell.format == .binary, let days = bytes.readInteger(as: Int32.self) else { break }
            return .int32(Int32(clamping: Int64(days) + epochDays))
        default:
            if let text = try? cell.decode(String.self) { return .string(text) }
        }
        throw ConnectDataError("Cannot read \(cell.columnName) of PostgreSQL type \(cell.dataType) as a Connect value")
    }
}
