import Foundation
import GRDB
import KafkaConnect

/// What a JDBC source reads of SQLite columns: each column's Connect schema from its declared type (by SQLite's
/// affinity rules, as the JDBC driver reports them: BOOLEAN boolean, DATETIME/TIMESTAMP Connect's Timestamp, DATE
/// Connect's Date, INT… int64 (SQLite integers are 64-bit), CHAR/CLOB/TEXT string, BLOB bytes, REAL/FLOA/DOUB and
/// NUMERIC float64), optional unless NOT NULL or the rowid; for a query, from the values' storage classes. And
/// each value as its schema wants it; timestamps from integers (ms) or SQLite's date text (UTC).
enum SqliteColumns {
    typealias Column = JdbcSourceColumn

    /// The table's columns in order (`PRAGMA table_info`); empty when there is no such table.
    static func of(table: String, _ db: Database) throws -> [Column] {
        let rows = try Row.fetchAll(db, sql: "PRAGMA table_info(\(SqliteDialect.quote(table)))")
        let keyCount = rows.filter { ($0["pk"] as Int? ?? 0) > 0 }.count
        return rows.map { row in
            let declared = (row["type"] as String? ?? "").uppercased()
            let isRowID = keyCount == 1 && (row["pk"] as Int? ?? 0) == 1 && declared == "INTEGER"
            let notNull = (row["notnull"] as Int? ?? 0) != 0 || isRowID
            return Column(
                name: row["name"] as String? ?? "",
                schema: schema(declared: declared, optional: !notNull),
                isAutoIncrement: isRowID
            )
        }
    }

    /// A query's columns, by the storage class of each column's first non-null value (string when all are null).
    static func inferred(from rows: [Row]) -> [Column] {
        guard let first = rows.first else { return [] }
        return first.columnNames.enumerated().map { index, name in
            let storage = rows.lazy.map { ($0[index] as DatabaseValue).storage }.first { storage in
                if case .null = storage { false } else { true }
            }
            let declared =
                switch storage {
                case .int64?: "INTEGER"
                case .double?: "REAL"
                case .blob?: "BLOB"
                default: "TEXT"
                }
            return Column(name: name, schema: schema(declared: declared, optional: true), isAutoIncrement: false)
        }
    }

    static func schema(declared: String, optional: Bool) -> ConnectSchema {
        let schema: ConnectSchema
        if declared.contains("BOOL") {
            schema = .boolean
        } else if declared.contains("DATETIME") || declared.contains("TIMESTAMP") {
            schema = .timestamp
        } else if declared == "DATE" {
            schema = .date
        } else if declared.contains("INT") {
            schema = .int64
        } else if declared.contains("CHAR") || declared.contains("CLOB") || declared.contains("TEXT") {
            schema = .string
        } else if declared.contains("BLOB") || declared.isEmpty {
            schema = .bytes
        } else {
            schema = .float64
        }
        return schema.with(optional: optional)
    }

    /// `value` as `schema` wants it; nil for NULL.
    static func value(_ value: DatabaseValue, as schema: ConnectSchema) throws(ConnectDataError) -> ConnectValue? {
        if case .null = value.storage { return nil }
        switch schema.name {
        case ConnectSchema.timestampName:
            guard let millis = millis(value) else { throw unreadable(value, schema) }
            return .int64(millis)
        case ConnectSchema.dateName:
            guard let millis = millis(value) else { throw unreadable(value, schema) }
            return .int32(Int32(clamping: millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000))
        default:
            break
        }
        switch (schema.type, value.storage) {
        case (.boolean, .int64(let number)): return .boolean(number != 0)
        case (.int64, .int64(let number)): return .int64(number)
        case (.int64, .double(let number)) where number.rounded() == number: return .int64(Int64(number))
        case (.float64, .double(let number)): return .float64(number)
        case (.float64, .int64(let number)): return .float64(Double(number))
        case (.string, .string(let text)): return .string(text)
        case (.string, .int64(let number)): return .string(String(number))
        case (.string, .double(let number)): return .string(String(number))
        case (.string, .blob(let data)): return .string(String(decoding: data, as: UTF8.self))
        case (.bytes, .blob(let data)): return .bytes([UInt8](data))
        case (.bytes, .string(let text)): return .bytes(Array(text.utf8))
        default: throw unreadable(value, schema)
        }
    }

    static func integer(_ value: DatabaseValue) -> Int64? {
        if case .int64(let number) = value.storage { number } else { nil }
    }

    /// A timestamp in milliseconds: an integer as is, a real truncated, text as SQLite's date format
    /// (`YYYY-MM-DD[ T]HH:MM[:SS[.fff]]`, optionally `Z`, UTC).
    static func millis(_ value: DatabaseValue) -> Int64? {
        switch value.storage {
        case .int64(let number): return number
        case .double(let number): return Int64(exactly: number.rounded(.towardZero))
        case .string(let text): return millis(text: text)
        default: return nil
        }
    }

    static func millis(text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, !range.isEmpty else { return nil }
            var result: Int64 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                result = result * 10 + Int64(byte - 48)
            }
            return result
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var fraction: Int64 = 0
        if bytes.count > 10 {
            guard bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
                let h = number(11..<13), let m = number(14..<16)
            else { return nil }
            (hour, minute) = (h, m)
            var index = 16
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                guard let s = number(17..<19) else { return nil }
                second = s
                index = 19
                if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                    var end = index + 1
                    while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
                    guard let digits = number(index + 1..<min(end, index + 4)) else { return nil }
                    fraction = digits * [1, 100, 10, 1][min(end, index + 4) - index - 1]
                    index = end
                }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "Z") { index += 1 }
            guard index == bytes.count else { return nil }
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + fraction
    }

    private static func unreadable(_ value: DatabaseValue, _ schema: ConnectSchema) -> ConnectDataError {
        ConnectDataError("Cannot read the SQLite value \(value) as \(schema.name ?? schema.type.rawValue)")
    }
}
