import KafkaConnect
import Logging
import NIOCore
import PostgresNIO

/// A PostgreSQL database through one PostgresNIO connection (`PostgresDialect`'s SQL): each batch is one
/// transaction; tables are found in the connection's current schema (`information_schema.columns`). Connect's
/// logical types are bound as text (`PostgresText`) for the dialect's casts. Owned by one sink task, which closes it.
final class PostgresSinkDatabase: JdbcSinkDatabase {
    let session: PostgresSession

    private init(_ session: PostgresSession) {
        self.session = session
    }

    static func connect(_ target: JdbcConnection.Target) async throws -> PostgresSinkDatabase {
        PostgresSinkDatabase(
            try await PostgresSession.open(
                try target.postgresConfiguration(),
                logger: Logger(label: "swiftkafka.connect.jdbc")
            )
        )
    }

    /// One transaction: BEGIN, the statements, COMMIT, watched (`PostgresSession.watched`: a write whose session
    /// the server ended fails rather than waits forever). A failure leaves the transaction to the server, which rolls
    /// it back when the task closes this connection (no ROLLBACK is sent over a connection that may be broken).
    func write(_ batch: [JdbcSinkStatement], _ config: JdbcSinkConfig) async throws {
        let logger = session.logger
        try await session.watched { connection in
            try await Self.transaction(batch, config, connection, logger)
        }
    }

    private static func transaction(
        _ batch: [JdbcSinkStatement],
        _ config: JdbcSinkConfig,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        try await run("BEGIN", connection, logger)
        var checked: Set<String> = []
        for statement in batch {
            let columns = statement.mapping.columns.map(\.name).joined(separator: "\u{0}")
            if checked.insert(statement.table + "\u{0}" + columns).inserted {
                try await prepareTable(statement.table, statement.mapping, config, connection, logger)
            }
            let sql =
                statement.kind == .delete
                ? PostgresDialect.delete(statement.table, statement.mapping)
                : PostgresDialect.write(statement.table, statement.mapping, mode: config.insertMode)
            var binds = PostgresBindings()
            for (value, column) in zip(statement.values, statement.boundColumns(config.insertMode)) {
                try bind(value, column.schema, into: &binds)
            }
            try await run(PostgresQuery(unsafeSQL: sql, binds: binds), connection, logger)
        }
        try await run("COMMIT", connection, logger)
    }

    func close() async {
        await session.close()
    }

    static func prepareTable(
        _ table: String,
        _ mapping: JdbcRecordMapping,
        _ config: JdbcSinkConfig,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        let rows = try await connection.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)",
            logger: logger
        )
        var existing: Set<String> = []
        for try await name in rows.decode(String.self) { existing.insert(name) }
        let change = try tableChange(table, mapping, existing: existing.isEmpty ? nil : existing, config)
        if change.create {
            try await run(PostgresQuery(unsafeSQL: try PostgresDialect.createTable(table, mapping)), connection, logger)
        }
        for column in change.add {
            try await run(PostgresQuery(unsafeSQL: try PostgresDialect.addColumn(table, column)), connection, logger)
        }
    }

    /// One line about a failure for the log: PostgreSQL's code and message, or the connection's error — never the
    /// query or its values.
    static func describe(_ error: any Error) -> String {
        guard let failure = error as? PSQLError else { return "\(error)" }
        if let message = failure.serverInfo?[.message] { return "\(failure.code): \(message)" }
        return "\(failure.code)" + (failure.underlying.map { ": \($0)" } ?? "")
    }

    /// Runs a statement that returns no rows, to its end.
    static func run(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws {
        for try await _ in try await connection.query(query, logger: logger) {}
    }

    /// Appends `value` of `schema` to `binds`: the logical types as text, the others as their PostgreSQL types.
    static func bind(_ value: ConnectValue?, _ schema: ConnectSchema, into binds: inout PostgresBindings) throws {
        guard let value else { return binds.appendNull() }
        if let text = try PostgresText.logical(value, schema) { return binds.append(text) }
        switch value {
        case .boolean(let flag): binds.append(flag)
        case .int8(let number): binds.append(Int16(number))
        case .int16(let number): binds.append(number)
        case .int32(let number): binds.append(number)
        case .int64(let number): binds.append(number)
        case .float32(let number): binds.append(number)
        case .float64(let number): binds.append(number)
        case .string(let text): binds.append(text)
        case .bytes(let bytes): binds.append(ByteBuffer(bytes: bytes))
        default: throw ConnectDataError("Unsupported source data type: \(value.schemaType)")
        }
    }
}

extension JdbcConnection.Target {
    /// The PostgresNIO settings of a `jdbc:postgresql://` target (no TLS: `sslmode` is not read yet).
    func postgresConfiguration() throws(ConnectConfigError) -> PostgresConnection.Configuration {
        guard case .postgres(let host, let port, let database, let user, let password) = self else {
            throw ConnectConfigError("not a PostgreSQL connection.url")
        }
        return PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: .disable
        )
    }
}
