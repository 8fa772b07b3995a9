import Foundation
import GRDB
import KafkaConnect
import Testing

@testable import ConnectRuntime

/// The JDBC source's settings, timestamp text, task split, and its task on a real SQLite file in each mode.
@Suite struct JdbcSourceTests {
    /// Stored offsets by source partition, as the worker's offset store answers a task.
    struct StoredOffsets: SourceTaskContext {
        var offsets: [ConnectValue: ConnectValue] = [:]
        func offset(for partition: ConnectValue) async -> ConnectValue? { offsets[partition] }
    }

    static func withDatabase(_ body: (String, DatabaseQueue) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "jdbc-source-\(UUID().uuidString).db"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path, try DatabaseQueue(path: path))
    }

    static func settings(_ path: String, _ extra: [String: String]) -> [String: String] {
        ["connection.url": "jdbc:sqlite:\(path)", "topic.prefix": "db-", "poll.interval.ms": "50"].merging(extra) {
            $1
        }
    }

    /// Polls until `count` records came (or 5 s passed).
    static func poll(_ task: JdbcSourceTask, count: Int) async throws -> [SourceRecord] {
        var records: [SourceRecord] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while records.count < count && ContinuousClock.now < deadline { records += try await task.poll() }
        return records
    }

    static func ids(_ records: [SourceRecord]) -> [Int64] { records.compactMap { $0.value?["id"]?.integerValue } }

    @Test func settingsAreChecked() throws {
        let url = ["connection.url": "jdbc:sqlite:/tmp/x.db", "topic.prefix": "p-"]
        let config = try JdbcSourceConfig(
            url.merging(["mode": "timestamp+incrementing", "timestamp.column.name": "a, b"]) { $1 }
        )
        #expect(config.mode == .timestampIncrementing && config.timestampColumns == ["a", "b"])
        #expect(config.pollIntervalMs == 5000 && config.batchMaxRows == 100 && config.validateNonNull)
        #expect(throws: ConnectConfigError.self) { try JdbcSourceConfig(url) }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSourceConfig(["connection.url": "jdbc:sqlite:x", "mode": "bulk"])
        }
        #expect(throws: ConnectConfigError.self) { try JdbcSourceConfig(url.merging(["mode": "timestamp"]) { $1 }) }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSourceConfig(url.merging(["mode": "bulk", "table.whitelist": "a", "table.blacklist": "b"]) { $1 })
        }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSourceConfig(url.merging(["mode": "bulk", "query": "SELECT 1", "table.whitelist": "a"]) { $1 })
        }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSourceConfig(url.merging(["mode": "bulk", "batch.max.rows": "0"]) { $1 })
        }
    }

    @Test func sqliteDateTextIsReadAsUtcMilliseconds() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: 2026, month: 12, day: 6, hour: 7, minute: 30, second: 1))!
        let expected = Int64(date.timeIntervalSince1970) * 1000
        #expect(SqliteColumns.millis(text: "2026-12-06 07:30:01") == expected)
        #expect(SqliteColumns.millis(text: "2026-12-06T07:30:01.123Z") == expected + 123)
        #expect(SqliteColumns.millis(text: "2026-12-06 07:30:01.5") == expected + 500)
        #expect(SqliteColumns.millis(text: "2026-12-06 07:30") == expected - 1000)
        #expect(SqliteColumns.millis(text: "1969-12-31") == -86_400_000)
        #expect(SqliteColumns.millis(text: "1970-01-01") == 0)
        #expect(SqliteColumns.millis(text: "06/12/2026") == nil)
        #expect(SqliteColumns.millis(text: "2026-13-01") == nil)
    }

    @Test func tablesAreSplitOverTasksInContiguousGroups() async throws {
        try await Self.withDatabase { path, database in
            try await database.write { db in
                for table in ["a", "b", "c", "skip"] {
                    try db.execute(sql: "CREATE TABLE \(table) (id INTEGER PRIMARY KEY)")
                }
            }
            let connector = JdbcSourceConnector()
            try connector.start(Self.settings(path, ["mode": "bulk", "table.blacklist": "skip"]))
            #expect(connector.taskConfigs(maxTasks: 2).map { $0["tables"] } == ["a,b", "c"])
            #expect(connector.taskConfigs(maxTasks: 5).map { $0["tables"] } == ["a", "b", "c"])
            try connector.start(Self.settings(path, ["mode": "bulk", "table.whitelist": "nothing"]))
            #expect(connector.taskConfigs(maxTasks: 2).isEmpty)
        }
    }

    /// Incrementing mode: the rows past the stored id, `batch.max.rows` at a time, typed by the declared columns,
    /// then only new rows; a task restarted with a stored offset (Confluent's older partition format) goes on
    /// after it.
    @Test func incrementingModeResumesAfterTheStoredId() async throws {
        try await Self.withDatabase { path, database in
            try await database.write { db in
                try db.execute(
                    sql: "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, ok BOOLEAN)"
                )
                for id in 1...5 {
                    try db.execute(
                        sql: "INSERT INTO people VALUES (?, ?, ?, ?)",
                        arguments: [id, "p\(id)", 1.5, id % 2]
                    )
                }
            }
            let config = Self.settings(path, ["mode": "incrementing", "tables": "people", "batch.max.rows": "2"])
            let task = JdbcSourceTask()
            try await task.start(config, context: StoredOffsets())
            #expect(Self.ids(try await task.poll()) == [1, 2])
            let rest = try await Self.poll(task, count: 3)
            #expect(Self.ids(rest) == [3, 4, 5])
            let last = try #require(rest.last)
            #expect(last.topic == "db-people")
            #expect(last.sourcePartition == .stringMap(["protocol": .string("1"), "table": .string("people")]))
            #expect(last.sourceOffset == .map([.init(.string("incrementing"), .int64(5))]))
            let schema = try #require(last.valueSchema)
            #expect(schema.name == "people")
            #expect(schema.fields.map(\.schema.type) == [.int64, .string, .float64, .boolean])
            #expect(schema.fields.map(\.schema.isOptional) == [false, false, true, true])
            #expect(last.value?["ok"] == .boolean(true) && last.value?["score"] == .float64(1.5))
            try await database.write { db in
                try db.execute(sql: "INSERT INTO people (name) VALUES ('p6'), ('p7')")
            }
            #expect(Self.ids(try await Self.poll(task, count: 2)) == [6, 7])
            await task.stop()

            let restarted = JdbcSourceTask()
            let stored = StoredOffsets(offsets: [
                .stringMap(["table": .string("people")]): .stringMap(["incrementing": .int64(4)])
            ])
            try await restarted.start(config, context: stored)
            #expect(Self.ids(try await Self.poll(restarted, count: 3)) == [5, 6, 7])
            await restarted.stop()
        }
    }

    /// Timestamp+incrementing: rows ordered by (timestamp, id), date text and integer milliseconds alike; a row
    /// updated with a newer timestamp comes again; a restart inside one timestamp goes on after the stored id.
    @Test func timestampIncrementingModeFollowsUpdates() async throws {
        try await Self.withDatabase { path, database in
            try await database.write { db in
                try db.execute(
                    sql: "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, modified DATETIME NOT NULL)"
                )
                try db.execute(
                    sql: """
                        INSERT INTO orders VALUES (1, 'a', '2026-01-01 00:00:02'), (2, 'b', '2026-01-01 00:00:01'),
                        (3, 'c', '2026-01-01 00:00:01'), (4, 'd', \(SqliteColumns.millis(text: "2026-01-01 00:00:03")!))
                        """
                )
            }
            let config = Self.settings(
                path,
                ["mode": "timestamp+incrementing", "timestamp.column.name": "modified", "tables": "orders"]
            )
            let task = JdbcSourceTask()
            try await task.start(config, context: StoredOffsets())
            let first = try await Self.poll(task, count: 4)
            #expect(Self.ids(first) == [2, 3, 1, 4])
            let second = try #require(first.dropFirst().first)
            let millis = try #require(SqliteColumns.millis(text: "2026-01-01 00:00:01"))
            #expect(second.value?["modified"] == .int64(millis))
            #expect(second.valueSchema?.field("modified")?.schema.name == ConnectSchema.timestampName)
            #expect(
                second.sourceOffset
                    == .map([
                        .init(.string("incrementing"), .int64(3)), .init(.string("timestamp"), .int64(millis)),
                        .init(.string("timestamp_nanos"), .int64(0)),
                    ])
            )
            try await database.write { db in
                try db.execute(sql: "UPDATE orders SET item = 'b2', modified = '2026-01-01 00:00:04' WHERE id = 2")
            }
            let updated = try await Self.poll(task, count: 1)
            #expect(Self.ids(updated) == [2] && updated.first?.value?["item"] == .string("b2"))
            await task.stop()

            let restarted = JdbcSourceTask()
            try await restarted.start(
                config,
                context: StoredOffsets(offsets: [second.sourcePartition!: second.sourceOffset!])
            )
            #expect(Self.ids(try await Self.poll(restarted, count: 3)) == [1, 4, 2])
            await restarted.stop()
        }
    }

    /// Bulk: the whole table each interval, without offsets; a query in bulk mode publishes to the prefix itself.
    @Test func bulkModeCopiesEveryRowEachTime() async throws {
        try await Self.withDatabase { path, database in
            try await database.write { db in
                try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
                try db.execute(sql: "INSERT INTO t VALUES (1, x'00ff'), (2, NULL)")
            }
            let task = JdbcSourceTask()
            try await task.start(Self.settings(path, ["mode": "bulk", "tables": "t"]), context: StoredOffsets())
            let twice = try await Self.poll(task, count: 4)
            #expect(Self.ids(twice) == [1, 2, 1, 2])
            #expect(twice.first?.sourceOffset == nil && twice.first?.value?["v"] == .bytes([0, 255]))
            await task.stop()

            let query = JdbcSourceTask()
            try await query.start(
                Self.settings(path, ["mode": "bulk", "query": "SELECT id, id * 2 AS twice FROM t"]),
                context: StoredOffsets()
            )
            let rows = try await Self.poll(query, count: 2)
            #expect(rows.first?.topic == "db-" && rows.first?.value?["twice"] == .int64(2))
            #expect(rows.first?.sourcePartition == .stringMap(["query": .string("SELECT id, id * 2 AS twice FROM t")]))
            await query.stop()
        }
    }

    @Test func aNullableIncrementingColumnIsRefused() async throws {
        try await Self.withDatabase { path, database in
            try await database.write { db in try db.execute(sql: "CREATE TABLE t (seq INTEGER, v TEXT)") }
            let config = Self.settings(
                path,
                ["mode": "incrementing", "tables": "t", "incrementing.column.name": "seq"]
            )
            await #expect(throws: ConnectConfigError.self) {
                try await JdbcSourceTask().start(config, context: StoredOffsets())
            }
            // No INTEGER PRIMARY KEY to find.
            var auto = config
            auto["incrementing.column.name"] = nil
            await #expect(throws: ConnectConfigError.self) {
                try await JdbcSourceTask().start(auto, context: StoredOffsets())
            }
            var unchecked = config
            unchecked["validate.non.null"] = "false"
            try await JdbcSourceTask().start(unchecked, context: StoredOffsets())
        }
    }
}
