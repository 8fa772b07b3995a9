import Foundation
import GRDB
public import KafkaConnect

/// `io.confluent.connect.jdbc.JdbcSourceConnector` (Confluent's JDBC source, its class name and settings:
/// `JdbcSourceConfig`) for SQLite through GRDB and PostgreSQL through PostgresNIO (`JdbcSourceDatabase`). In table mode the connector lists the database's tables (those
/// `table.whitelist`/`table.blacklist` let through) when it starts and splits them over at most `tasks.max` tasks
/// in contiguous groups (task setting `tables`; on PostgreSQL a `table.whitelist` is taken as the list), each table to topic `topic.prefix` + its name; with `query`, one
/// task publishes to `topic.prefix`. Tables created later are found when the connector restarts
/// (`table.poll.interval.ms` is not watched).
public final class JdbcSourceConnector: SourceConnector {
    public static let className = "io.confluent.connect.jdbc.JdbcSourceConnector"
    public static let version = "10.2.0-swiftkafka"
    public static let taskType: any SourceTask.Type = JdbcSourceTask.self
    public static var configKeys: [ConfigKey] { JdbcSourceConfig.keys }

    private var config: [String: String] = [:]
    private var tables: [String] = []

    public init() {}

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        let settings = try JdbcSourceConfig(config)
        self.config = config
        guard settings.query == nil else { return }
        do {
            let all: [String]
            switch settings.target {
            case .sqlite(let path):
                all = try DatabaseQueue(path: path, configuration: SqliteSourceDatabase.configuration).read { db in
                    try String.fetchAll(db, sql: SqliteSourceDatabase.tablesSQL)
                }
            case .postgres:
                all =
                    settings.tableWhitelist.isEmpty
                    ? try PostgresSourceDatabase.tableNamesBlocking(settings.target) : settings.tableWhitelist
            }
            tables = all.filter(settings.includes(table:))
        } catch {
            throw ConnectConfigError("Cannot list the tables of \(config["connection.url"] ?? ""): \(error)")
        }
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        if config["query"].map({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) == true { return [config] }
        // Confluent's `ConnectorUtils.groupPartitions`: contiguous groups, the first ones one larger.
        let groups = min(max(1, maxTasks), tables.count)
        guard groups > 0 else { return [] }
        var configs: [[String: String]] = []
        var start = 0
        for group in 0..<groups {
            let size = tables.count / groups + (group < tables.count % groups ? 1 : 0)
            var task = config
            task["tables"] = tables[start..<start + size].joined(separator: ",")
            configs.append(task)
            start += size
        }
        return configs
    }

    public func stop() {}
}

/// The task of `JdbcSourceConnector`: one `JdbcTableQuerier` per table it was given (or for the query) over one
/// database connection, polled in turn, the one due first next; between due times `poll` returns nothing after a
/// short wait.
public final class JdbcSourceTask: SourceTask {
    private var database: (any JdbcSourceDatabase)?
    private var queriers: [JdbcTableQuerier] = []
    private let started = ContinuousClock.now

    public init() {}

    private var nowMs: Int64 {
        let elapsed = started.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    private static var wallClockMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    public func start(_ config: [String: String], context: any SourceTaskContext) async throws {
        let settings = try JdbcSourceConfig(config)
        let sources: [JdbcTableQuerier.Source] =
            if let query = settings.query {
                [.query(query)]
            } else {
                JdbcConnection.list(config["tables"]).map { .table($0) }
            }
        guard !sources.isEmpty else {
            throw ConnectConfigError("Invalid configuration: a task needs tables or a query")
        }
        let database: any JdbcSourceDatabase =
            switch settings.target {
            case .sqlite(let path): try SqliteSourceDatabase(path: path)
            case .postgres: try await PostgresSourceDatabase.connect(settings.target)
            }
        self.database = database
        for source in sources {
            var querier = JdbcTableQuerier(source, settings, now: Self.wallClockMs)
            var offset: ConnectValue?
            for partition in querier.storedPartitions where offset == nil {
                offset = await context.offset(for: partition)
            }
            try await querier.start(offset: offset, database: database)
            queriers.append(querier)
        }
    }

    public func poll() async throws -> [SourceRecord] {
        guard let database, !queriers.isEmpty else { return [] }
        // The querier with rows left, else the one due first.
        let index =
            queriers.firstIndex(where: { $0.hasPending })
            ?? queriers.indices.min { queriers[$0].nextQueryAt < queriers[$1].nextQueryAt }!
        let wait = queriers[index].nextQueryAt - nowMs
        if !queriers[index].hasPending && wait > 0 {
            // Short waits keep the worker's stop prompt.
            try await Task.sleep(for: .milliseconds(min(wait, 500)))
            return []
        }
        var querier = queriers[index]
        let records = try await querier.poll(database, now: nowMs, wallClockMs: Self.wallClockMs)
        queriers[index] = querier
        return records
    }

    public func stop() async {
        await database?.close()
        database = nil
        queriers = []
    }
}
