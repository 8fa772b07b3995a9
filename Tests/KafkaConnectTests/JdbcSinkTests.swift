import Foundation
import GRDB
import KafkaConnect
import Testing

@testable import ConnectRuntime

/// The JDBC sink's settings, column mapping and SQL, and its task on a real SQLite file.
@Suite struct JdbcSinkTests {
    static let keySchema = ConnectSchema.struct([("id", .int64)])
    static let valueSchema = ConnectSchema.struct(name: "row", [("id", .int64), ("name", .string), ("ok", .boolean)])

    static func record(_ id: Int64, _ name: String?, offset: Int64 = 0) throws -> SinkRecord {
        var key = ConnectStruct(schema: keySchema)
        try key.set("id", .int64(id))
        var value = ConnectStruct(schema: valueSchema)
        try value.set("id", .int64(id))
        try value.set("name", name.map { .string($0) } ?? .string(""))
        try value.set("ok", .boolean(true))
        return SinkRecord(
            topic: "people",
            kafkaPartition: 0,
            kafkaOffset: offset,
            keySchema: keySchema,
            key: .struct(key),
            valueSchema: valueSchema,
            value: name == nil ? nil : .struct(value)
        )
    }

    @Test func settingsAreChecked() throws {
        let config = try JdbcSinkConfig([
            "connection.url": "jdbc:sqlite:/tmp/x.db", "insert.mode": "UPSERT", "pk.mode": "record_key",
        ])
        #expect(
            config.target == .sqlite(path: "/tmp/x.db") && config.insertMode == .upsert && config.pkMode == .recordKey
        )
        let postgres = try JdbcSinkConfig([
            "connection.url": "jdbc:postgresql://db.local:6543/shop?user=ann&password=s%20t"
        ])
        #expect(
            postgres.target == .postgres(host: "db.local", port: 6543, database: "shop", user: "ann", password: "s t")
        )
        let overridden = try JdbcSinkConfig([
            "connection.url": "jdbc:postgresql://h/d?user=ann", "connection.user": "bob", "connection.password": "pw",
        ])
        #expect(overridden.target == .postgres(host: "h", port: 5432, database: "d", user: "bob", password: "pw"))
        #expect(throws: ConnectConfigError.self) { try JdbcSinkConfig(["connection.url": "jdbc:postgresql://h"]) }
        #expect(throws: ConnectConfigError.self) { try JdbcSinkConfig([:]) }
        #expect(config.maxRetries == 10 && config.retryBackoffMs == 3000)
        let retries = try JdbcSinkConfig([
            "connection.url": "jdbc:sqlite:x", "max.retries": "0", "retry.backoff.ms": "5",
        ])
        #expect(retries.maxRetries == 0 && retries.retryBackoffMs == 5)
        #expect(throws: ConnectConfigError.self) {
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "max.retries": "-1"])
        }
        #expect(throws: ConnectConfigError.self) { try JdbcSinkConfig(["connection.url": "jdbc:mysql://h/db"]) }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "delete.enabled": "true"])
        }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "insert.mode": "upsert"])
        }
        #expect(throws: ConnectConfigError.self) {
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "pk.mode": "some"])
        }
    }

    @Test func logicalTypesAreWrittenForPostgresAsUtcText() throws {
        #expect(PostgresText.timestamp(1_767_225_601_001) == "2026-01-01 00:00:01.001")
        #expect(PostgresText.timestamp(-1) == "1969-12-31 23:59:59.999")
        #expect(PostgresText.date(days: 0) == "1970-01-01" && PostgresText.date(days: 20_454) == "2026-01-01")
        #expect(PostgresText.time(45_296_789) == "12:34:56.789")
        #expect(try PostgresText.decimal([0x30, 0x39], scale: 2) == "123.45")
        #expect(try PostgresText.decimal([0xFF, 0x85], scale: 3) == "-0.123")
        #expect(try PostgresText.decimal([0x07], scale: 0) == "7")
        #expect(
            try PostgresText.logical(.int64(0), .timestamp) == "1970-01-01 00:00:00.000"
                && PostgresText.logical(.int64(0), .int64) == nil
        )
        #expect(throws: ConnectDataError.self) { try PostgresText.logical(.string("x"), .timestamp) }
    }

    @Test func columnsFollowThePrimaryKeyMode() throws {
        let record = try Self.record(7, "ann")
        let byKey = try JdbcRecordMapping(
            record,
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "pk.mode": "record_key"])
        )
        #expect(byKey.keyColumns.map(\.name) == ["id"] && byKey.valueColumns.map(\.name) == ["name", "ok"])
        let kafka = try JdbcRecordMapping(
            record,
            try JdbcSinkConfig(["connection.url": "jdbc:sqlite:x", "pk.mode": "kafka"])
        )
        #expect(kafka.keyColumns.map(\.name) == ["__connect_topic", "__connect_partition", "__connect_offset"])
        #expect(kafka.valueColumns.map(\.name) == ["id", "name", "ok"])
        let config = try JdbcSinkConfig([
            "connection.url": "jdbc:sqlite:x", "pk.mode": "record_value", "pk.fields": "name", "fields.whitelist": "ok",
        ])
        let byValue = try JdbcRecordMapping(record, config)
        #expect(byValue.keyColumns.map(\.name) == ["name"] && byValue.valueColumns.map(\.name) == ["ok"])
        #expect(
            try SqliteDialect.createTable("people", byKey)
                == "CREATE TABLE \"people\" (\n\"id\" INTEGER NOT NULL,\n\"name\" TEXT NOT NULL,\n\"ok\" INTEGER NOT NULL,\nPRIMARY KEY(\"id\"))"
        )
        #expect(
            SqliteDialect.write("people", byKey, mode: .upsert)
                == "INSERT OR REPLACE INTO \"people\"(\"id\",\"name\",\"ok\") VALUES(?,?,?)"
        )
        #expect(
            SqliteDialect.write("people", byKey, mode: .update)
                == "UPDATE \"people\" SET \"name\" = ?, \"ok\" = ? WHERE \"id\" = ?"
        )
        #expect(SqliteDialect.delete("a\"b", byKey) == "DELETE FROM \"a\"\"b\" WHERE \"id\" = ?")
        #expect(
            try PostgresDialect.createTable("people", byKey)
                == "CREATE TABLE \"people\" (\n\"id\" BIGINT NOT NULL,\n\"name\" TEXT NOT NULL,\n\"ok\" BOOLEAN NOT NULL,\nPRIMARY KEY(\"id\"))"
        )
        #expect(
            PostgresDialect.write("people", byKey, mode: .upsert)
                == "INSERT INTO \"people\" (\"id\",\"name\",\"ok\") VALUES ($1,$2,$3) ON CONFLICT (\"id\") DO UPDATE SET \"name\"=EXCLUDED.\"name\",\"ok\"=EXCLUDED.\"ok\""
        )
        #expect(
            PostgresDialect.write("people", byKey, mode: .update)
                == "UPDATE \"people\" SET \"name\" = $1, \"ok\" = $2 WHERE \"id\" = $3"
        )
        #expect(PostgresDialect.delete("people", byKey) == "DELETE FROM \"people\" WHERE \"id\" = $1")
        let schemaless = SinkRecord(
            topic: "t",
            kafkaPartition: 0,
            kafkaOffset: 0,
            valueSchema: nil,
            value: .stringMap(["a": .int64(1)])
        )
        #expect(throws: ConnectDataError.self) { try JdbcRecordMapping(schemaless, config) }
    }

    @Test func theTaskUpsertsDeletesAndEvolvesARealDatabase() async throws {
        let path = NSTemporaryDirectory() + "jdbc-\(UUID().uuidString).db"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let task = JdbcSinkTask()
        try await task.start([
            "connection.url": "jdbc:sqlite:\(path)", "insert.mode": "upsert", "pk.mode": "record_key",
            "delete.enabled": "true", "auto.create": "true", "auto.evolve": "true",
        ])
        try await task.put([
            try Self.record(1, "a"), try Self.record(2, "b"), try Self.record(1, "a2"), try Self.record(2, nil),
        ])
        let database = try DatabaseQueue(path: path)
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, ok FROM people ORDER BY id")
        }
        #expect(rows.map { [$0["id"] as Int64, $0["name"] as String] as [AnyHashable] } == [[Int64(1), "a2"]])
        // A record with a new optional field: the table gains the column.
        let wider = ConnectSchema.struct(
            name: "row",
            [("id", .int64), ("name", .string), ("ok", .boolean), ("note", .optionalString)]
        )
        var value = ConnectStruct(schema: wider)
        try value.set("id", .int64(3))
        try value.set("name", .string("c"))
        try value.set("ok", .boolean(false))
        try value.set("note", .string("new"))
        var key = ConnectStruct(schema: Self.keySchema)
        try key.set("id", .int64(3))
        try await task.put([
            SinkRecord(
                topic: "people",
                kafkaPartition: 0,
                kafkaOffset: 9,
                keySchema: Self.keySchema,
                key: .struct(key),
                valueSchema: wider,
                value: .struct(value)
            )
        ])
        let note = try await database.read { db in try String.fetchOne(db, sql: "SELECT note FROM people WHERE id = 3")
        }
        #expect(note == "new")
        await task.stop()
        let strict = JdbcSinkTask()
        try await strict.start(["connection.url": "jdbc:sqlite:\(path)", "table.name.format": "other"])
        await #expect(throws: ConnectDataError.self) { try await strict.put([try Self.record(4, "d")]) }
    }
}
