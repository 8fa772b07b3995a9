import Foundation
import GRDB
public import KafkaConnect
import Logging

/// `io.confluent.connect.jdbc.JdbcSinkConnector` (Confluent's JDBC sink, its class name and settings:
/// `JdbcSinkConfig`) for SQLite through GRDB and PostgreSQL through PostgresNIO: each `put` is one transaction
/// that creates or evolves the tables it needs (`auto.create`, `auto.evolve`), then inserts, upserts (by primary
/// key, so a record written twice leaves one row: replays after a restart are harmless) or updates each record, and
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

/// The task of `JdbcSinkConnector`: its database (`SqliteSinkDatabase` or `PostgresSinkDatabase`) and
/// settings; each `put` maps every record to its statement first (a mapping error fails the task before anything
/// is written), then writes them `batch.size` at a time, one transaction each, retrying a failed one.
public final class JdbcSinkTask: SinkTask {
    static let logger = Logger(label: "swiftkafka.connect.jdbc")
    private var config: JdbcSinkConfig?
    private var database: (any JdbcSinkDatabase)?
    private var remainingRetries = 0

    public init() {}

    public func start(_ properties: [String: String]) async throws {
        let config = try JdbcSinkConfig(properties)
        self.config = config
        remainingRetries = config.maxRetries
        database = try await Self.open(config.target)
    }

    static func open(_ target: JdbcConnection.Target) async throws -> any JdbcSinkDatabase {
        switch target {
        case .sqlite(let path): try SqliteSinkDatabase(path: path)
        case .postgres: try await PostgresSinkDatabase.connect(target)
        }
    }

    public func put(_ records: [SinkRecord]) async throws {
        guard let config, !records.isEmpty else { return }
        var statements: [JdbcSinkStatement] = []
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
                statements.append(JdbcSinkStatement(table: table, mapping: mapping, kind: .delete, values: keys))
                continue
            }
            let values = mapping.valueValues(record)
            statements.append(
                JdbcSinkStatement(
                    table: table,
                    mapping: mapping,
                    kind: .write,
                    values: config.insertMode == .update ? values + keys : keys + values
                )
            )
        }
        for start in stride(from: 0, to: statements.count, by: config.batchSize) {
            try await write(Array(statements[start..<min(start + config.batchSize, statements.count)]), config)
        }
    }

    /// Writes one batch; a database failure (a lost connection, a locked database, a constraint) is retried on a new
    /// connection `max.retries` times in a row, `retry.backoff.ms` apart, as Confluent's sink does, then fails the
    /// task. The batch's transaction was rolled back, so a retry writes it whole.
    private func write(_ batch: [JdbcSinkStatement], _ config: JdbcSinkConfig) async throws {
        while true {
            do {
                if database == nil { database = try await Self.open(config.target) }
                try await database!.write(batch, config)
                remainingRetries = config.maxRetries
                return
            } catch {
                // A record the table cannot take (a missing table or column the settings may not add) is not
                // retried, as Confluent retries only the database's errors.
                guard remainingRetries > 0, !(error is ConnectDataError) else { throw error }
                remainingRetries -= 1
                Self.logger.warning(
                    "Write of \(batch.count) records failed, retrying in \(config.retryBackoffMs) ms (\(remainingRetries) retries left): \(PostgresSinkDatabase.describe(error))"
                )
                await database?.close()
                database = nil
                try await Task.sleep(for: .milliseconds(config.retryBackoffMs))
            }
        }
    }

    public func flush() async throws {}

    public func stop() async {
        await database?.close()
        database = nil
    }
}
