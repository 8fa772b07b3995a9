import KafkaConnect

/// One table (or the `query`) a JDBC source task copies, as Confluent's `TableQuerier`: each due poll runs one
/// query by the mode, and its rows leave as records `batch.max.rows` at a time; the next query runs
/// `poll.interval.ms` after the last one, once every row of it has left.
///
/// - bulk: every row, each time; no source offset.
/// - incrementing: `WHERE inc > ? ORDER BY inc`, from the stored `{"incrementing": N}`.
/// - timestamp: `WHERE ts > ? AND ts < now − timestamp.delay.interval.ms ORDER BY ts`, from `{"timestamp": ms,
///   "timestamp_nanos": ns}`.
/// - timestamp+incrementing: `WHERE ts < end AND ((ts = ? AND inc > ?) OR ts > ?) ORDER BY ts, inc`, both.
///
/// Timestamps compare as milliseconds (the database's `millis` SQL); several timestamp columns count by the first
/// non-null (COALESCE). The source partition
/// is Confluent's `{"protocol": "1", "table": name}` (an older `{"table": name}` is read too) or `{"query": query}`.
/// A value of the owning task.
struct JdbcTableQuerier: Sendable {
    enum Source: Sendable, Equatable {
        case table(String)
        case query(String)
    }

    let source: Source
    let config: JdbcSourceConfig
    private(set) var incrementingColumn: String?
    /// The last row's incrementing value and timestamp (ms) read so far.
    private(set) var lastIncrementing: Int64 = -1
    private(set) var lastTimestamp: Int64
    private var pending: ArraySlice<SourceRecord> = []
    /// When the next query may run (continuous clock, ms); 0: now.
    private(set) var nextQueryAt: Int64 = 0
    private var columns: [JdbcSourceColumn] = []

    init(_ source: Source, _ config: JdbcSourceConfig, now: Int64) {
        self.source = source
        self.config = config
        self.incrementingColumn = config.incrementingColumn
        let initial = config.timestampInitial
        lastTimestamp = initial == -1 ? now : initial ?? Int64.min
    }

    var topic: String {
        switch source {
        case .table(let name): config.topicPrefix + name
        case .query: config.topicPrefix
        }
    }

    var sourcePartition: ConnectValue {
        switch source {
        case .table(let name): .stringMap(["protocol": .string("1"), "table": .string(name)])
        case .query(let query): .stringMap(["query": .string(query)])
        }
    }

    /// The source partitions a stored offset may be under, newest format first.
    var storedPartitions: [ConnectValue] {
        guard case .table(let name) = source else { return [sourcePartition] }
        return [sourcePartition, .stringMap(["table": .string(name)])]
    }

    var hasPending: Bool { !pending.isEmpty }

    /// Takes the stored offset of this table, and checks the table's columns against the mode.
    mutating func start(offset: ConnectValue?, database: any JdbcSourceDatabase) async throws {
        if let stored = offset?["incrementing"]?.integerValue { lastIncrementing = stored }
        if let stored = offset?["timestamp"]?.integerValue { lastTimestamp = stored }
        guard case .table(let table) = source else {
            if config.mode.usesIncrementing && incrementingColumn == nil {
                throw ConnectConfigError(
                    "incrementing.column.name is required for a query in mode \(config.mode.rawValue)"
                )
            }
            return
        }
        columns = try await database.columns(of: table)
        guard !columns.isEmpty else { throw ConnectDataError("Table \"\(table)\" does not exist") }
        if config.mode.usesIncrementing {
            if incrementingColumn == nil {
                // Confluent takes the auto-increment column (SQLite's INTEGER PRIMARY KEY, a serial).
                guard let automatic = columns.first(where: \.isAutoIncrement) else {
                    throw ConnectConfigError(
                        "Cannot find an auto-incrementing column on \"\(table)\": set incrementing.column.name"
                    )
                }
                incrementingColumn = automatic.name
            }
            guard let column = columns.first(where: { $0.name == incrementingColumn }) else {
                throw ConnectConfigError("Incrementing column \(incrementingColumn ?? "") not found in \"\(table)\"")
            }
            if config.validateNonNull && column.schema.isOptional {
                throw ConnectConfigError(
                    "Cannot make incremental queries using incrementing column \(column.name) on \"\(table)\" because this column is nullable."
                )
            }
        }
        if config.mode.usesTimestamp && config.validateNonNull {
            let used = columns.filter { config.timestampColumns.contains($0.name) }
            if used.count < config.timestampColumns.count || used.allSatisfy(\.schema.isOptional) {
                throw ConnectConfigError(
                    "Cannot make incremental queries using timestamp columns \(config.timestampColumns) on \"\(table)\" because all of these columns are nullable."
                )
            }
        }
    }

    /// Up to `batch.max.rows` records: those left from the last query, or a new query's when it is due.
    mutating func poll(
        _ database: any JdbcSourceDatabase,
        now: Int64,
        wallClockMs: Int64
    ) async throws
        -> [SourceRecord]
    {
        if pending.isEmpty {
            guard now >= nextQueryAt else { return [] }
            nextQueryAt = now + Int64(config.pollIntervalMs)
            pending = try await query(database, end: wallClockMs - config.timestampDelayMs)[...]
        }
        let batch = pending.prefix(config.batchMaxRows)
        pending = pending.dropFirst(batch.count)
        return Array(batch)
    }

    private mutating func query(_ database: any JdbcSourceDatabase, end: Int64) async throws -> [SourceRecord] {
        let from =
            switch source {
            case .table(let name): SqliteDialect.quote(name)
            case .query(let query): "(\(query)) AS source"
            }
        let timestamps = config.timestampColumns.map { database.millis(SqliteDialect.quote($0)) }
        let timestamp = timestamps.count == 1 ? timestamps[0] : "COALESCE(" + timestamps.joined(separator: ", ") + ")"
        let incrementing = incrementingColumn.map(SqliteDialect.quote) ?? ""
        let p = database.placeholder
        var sql = "SELECT * FROM \(from)"
        var arguments: [Int64] = []
        switch config.mode {
        case .bulk:
            break
        case .incrementing:
            sql += " WHERE \(incrementing) > \(p(1)) ORDER BY \(incrementing) ASC"
            arguments = [lastIncrementing]
        case .timestamp:
            sql += " WHERE \(timestamp) > \(p(1)) AND \(timestamp) < \(p(2)) ORDER BY \(timestamp) ASC"
            arguments = [lastTimestamp, end]
        case .timestampIncrementing:
            sql +=
                " WHERE \(timestamp) < \(p(1)) AND ((\(timestamp) = \(p(2)) AND \(incrementing) > \(p(3)))"
                + " OR \(timestamp) > \(p(4))) ORDER BY \(timestamp), \(incrementing) ASC"
            arguments = [end, lastTimestamp, lastIncrementing, lastTimestamp]
        }
        let (resultColumns, rows) = try await database.select(sql, arguments, declared: columns)
        guard !rows.isEmpty else { return [] }
        let schemaName: String? = if case .table(let name) = source { name } else { nil }
        let schema = ConnectSchema.struct(name: schemaName, resultColumns.map { ($0.name, $0.schema) })
        var records: [SourceRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            var value = ConnectStruct(schema: schema)
            for (field, cell) in zip(schema.fields, row) { try value.set(field.name, cell) }
            records.append(
                SourceRecord(
                    sourcePartition: sourcePartition,
                    sourceOffset: try offset(after: value, of: database),
                    topic: topic,
                    valueSchema: schema,
                    value: .struct(value)
                )
            )
        }
        return records
    }

    /// The offset once the row `value` is written, and the position the next query starts after.
    private mutating func offset(
        after value: ConnectStruct,
        of database: any JdbcSourceDatabase
    ) throws
        -> ConnectValue?
    {
        var entries: [ConnectValue.MapEntry] = []
        if config.mode.usesIncrementing, let column = incrementingColumn {
            guard let next = value[column]?.integerValue else {
                throw ConnectDataError("Incrementing column \(column) is null or not an integer")
            }
            lastIncrementing = next
            entries.append(.init(.string("incrementing"), .int64(next)))
        }
        if config.mode.usesTimestamp {
            let values = config.timestampColumns.compactMap { name -> Int64? in
                guard let field = value.schema.field(name) else { return nil }
                return type(of: database).millis(of: value[name], field.schema)
            }
            guard let next = values.first else { throw ConnectDataError("Every timestamp column of a row is null") }
            lastTimestamp = next
            let nanos = ((next % 1000) + 1000) % 1000 * 1_000_000
            entries.append(.init(.string("timestamp"), .int64(next)))
            entries.append(.init(.string("timestamp_nanos"), .int64(nanos)))
        }
        return entries.isEmpty ? nil : .map(entries)
    }
}
