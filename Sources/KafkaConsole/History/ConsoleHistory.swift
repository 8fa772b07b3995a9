import Foundation
import GRDB

/// What the console remembers across restarts, in SQLite (`<console.data.dir>/console.db`, through GRDB): each
/// group's lag per sample, each broker's traffic and latency per sample, and the timeline of cluster events
/// (controller changes, brokers joining and leaving, leader changes, ISR shrinks and expands, actions taken in the
/// console). Rows older than `console.history.retention.ms` are dropped at each sample. Written by the sampler
/// and the routes' actions, read by the pages; GRDB's queue serializes them.
///
/// Tables: `lag(at, store, group_id, records, seconds)`, `broker_metrics(at, broker, bytes_in, bytes_out,
/// messages_in, produce_p99_ms, fetch_p99_ms)` (rates per second), `events(at, kind, broker, detail)`; `at` in
/// milliseconds since the epoch.
final class ConsoleHistory: Sendable {
    struct LagSample: Sendable, Encodable {
        var at: Int64
        var records: Int64
        var seconds: Double?
    }

    struct BrokerSample: Sendable, Encodable {
        var at: Int64
        var broker: Int32
        var bytesIn: Double
        var bytesOut: Double
        var messagesIn: Double
        var produceP99Ms: Double?
        var fetchP99Ms: Double?
    }

    struct Event: Sendable, Encodable {
        var at: Int64
        var kind: String
        var broker: Int32?
        var detail: String
    }

    let database: DatabaseQueue
    let retentionMs: Int64

    /// The history in `directory` (made if missing), or in memory when nil.
    init(directory: String?, retentionMs: Int64) throws {
        if let directory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            database = try DatabaseQueue(path: "\(directory)/console.db")
        } else {
            database = try DatabaseQueue()
        }
        self.retentionMs = retentionMs
        try database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS lag (at INTEGER NOT NULL, store TEXT NOT NULL, group_id TEXT NOT NULL,
                      records INTEGER NOT NULL, seconds REAL);
                    CREATE INDEX IF NOT EXISTS lag_by_group ON lag (store, group_id, at);
                    CREATE TABLE IF NOT EXISTS broker_metrics (at INTEGER NOT NULL, broker INTEGER NOT NULL,
                      bytes_in REAL NOT NULL, bytes_out REAL NOT NULL, messages_in REAL NOT NULL,
                      produce_p99_ms REAL, fetch_p99_ms REAL);
                    CREATE INDEX IF NOT EXISTS broker_metrics_by_time ON broker_metrics (at);
                    CREATE TABLE IF NOT EXISTS events (at INTEGER NOT NULL, kind TEXT NOT NULL, broker INTEGER,
                      detail TEXT NOT NULL);
                    CREATE INDEX IF NOT EXISTS events_by_time ON events (at);
                    """
            )
        }
    }

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Writing

    func record(lag: [(store: String, group: String, records: Int64, seconds: Double?)], at: Int64) throws {
        try database.write { db in
            for row in lag {
                try db.execute(
                    sql: "INSERT INTO lag (at, store, group_id, records, seconds) VALUES (?, ?, ?, ?, ?)",
                    arguments: [at, row.store, row.group, row.records, row.seconds]
                )
            }
        }
    }

    func record(brokers: [BrokerSample]) throws {
        try database.write { db in
            for sample in brokers {
                try db.execute(
                    sql: """
                        INSERT INTO broker_metrics (at, broker, bytes_in, bytes_out, messages_in, produce_p99_ms,
                          fetch_p99_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        sample.at, sample.broker, sample.bytesIn, sample.bytesOut, sample.messagesIn,
                        sample.produceP99Ms, sample.fetchP99Ms,
                    ]
                )
            }
        }
    }

    func record(events: [Event]) throws {
        guard !events.isEmpty else { return }
        try database.write { db in
            for event in events {
                try db.execute(
                    sql: "INSERT INTO events (at, kind, broker, detail) VALUES (?, ?, ?, ?)",
                    arguments: [event.at, event.kind, event.broker, event.detail]
                )
            }
        }
    }

    /// Drops what is older than the retention.
    func prune(now: Int64) throws {
        let cutoff = now - retentionMs
        try database.write { db in
            for table in ["lag", "broker_metrics", "events"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE at < ?", arguments: [cutoff])
            }
        }
    }

    // MARK: Reading

    func lag(store: String, group: String, since: Int64) throws -> [LagSample] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT at, records, seconds FROM lag WHERE store = ? AND group_id = ? AND at >= ? ORDER BY at",
                arguments: [store, group, since]
            ).map { LagSample(at: $0["at"], records: $0["records"], seconds: $0["seconds"]) }
        }
    }

    /// Samples since `since`, of one broker or (nil) of all.
    func brokerSamples(broker: Int32?, since: Int64) throws -> [BrokerSample] {
        try database.read { db in
            let filter = broker == nil ? "" : " AND broker = \(broker!)"
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT at, broker, bytes_in, bytes_out, messages_in, produce_p99_ms, fetch_p99_ms FROM broker_metrics
                    WHERE at >= ?\(filter) ORDER BY at
                    """,
                arguments: [since]
            ).map {
                BrokerSample(
                    at: $0["at"],
                    broker: $0["broker"],
                    bytesIn: $0["bytes_in"],
                    bytesOut: $0["bytes_out"],
                    messagesIn: $0["messages_in"],
                    produceP99Ms: $0["produce_p99_ms"],
                    fetchP99Ms: $0["fetch_p99_ms"]
                )
            }
        }
    }

    /// The newest `limit` events, newest first.
    func events(limit: Int, since: Int64 = 0) throws -> [Event] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT at, kind, broker, detail FROM events WHERE at >= ? ORDER BY at DESC, rowid DESC LIMIT ?",
                arguments: [since, limit]
            ).map { Event(at: $0["at"], kind: $0["kind"], broker: $0["broker"], detail: $0["detail"]) }
        }
    }
}
