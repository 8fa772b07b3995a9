import ArgumentParser
import Foundation
import KafkaCore

/// `kafka-consumer-groups --reset-offsets`' scenario and execution flags, and the one `Scenario` they name:
/// exactly one of `--to-earliest`, `--to-latest`, `--to-current`, `--to-offset n`, `--shift-by n`,
/// `--to-datetime YYYY-MM-DDTHH:mm:SS.sss[zone]` (local time without a zone, as Kafka), `--by-duration PnDTnHnMnS`,
/// `--from-file plan.csv`; `--dry-run` (the default) or `--execute`; `--export` for CSV output.
struct OffsetResetOptions: ParsableArguments {
    @Flag(help: "With --reset-offsets: to each partition's log start offset.") var toEarliest = false
    @Flag(help: "With --reset-offsets: to each partition's log end offset.") var toLatest = false
    @Flag(help: "With --reset-offsets: to the committed offset (log end offset where none).") var toCurrent = false
    @Option(help: "With --reset-offsets: to this offset (kept within the log).") var toOffset: Int64?
    @Option(
        parsing: .unconditional,  // n may be negative
        help: "With --reset-offsets: the committed offset moved by n (kept within the log)."
    )
    var shiftBy: Int64?
    @Option(help: "With --reset-offsets: to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss[zone].")
    var toDatetime: String?
    @Option(help: "With --reset-offsets: to the first offset at or after now minus PnDTnHnMnS.") var byDuration: String?
    @Option(
        help: "With --reset-offsets: to the offsets in a CSV file (topic,partition,offset or with the group first)."
    )
    var fromFile: String?
    @Flag(help: "With --reset-offsets: print the new offsets as CSV (what --from-file reads).") var export = false
    @Flag(help: "With --reset-offsets: only show the new offsets (the default).") var dryRun = false
    @Flag(help: "With --reset-offsets: commit the new offsets.") var execute = false

    /// Where the offsets go.
    enum Scenario: Equatable {
        case earliest, latest, current
        case offset(Int64)
        case shift(Int64)
        /// Milliseconds since the epoch.
        case timestamp(Int64)
        /// Offsets by group, read from `--from-file`.
        case plan([String: [TopicPartition: Int64]])
    }

    /// `groups`: the `--group`s given (a CSV without a group column is for the only one).
    func scenario(now: Date = Date(), groups: [String] = []) throws -> Scenario {
        var chosen: [Scenario] = []
        if toEarliest { chosen.append(.earliest) }
        if toLatest { chosen.append(.latest) }
        if toCurrent { chosen.append(.current) }
        if let toOffset { chosen.append(.offset(toOffset)) }
        if let shiftBy { chosen.append(.shift(shiftBy)) }
        if let toDatetime { chosen.append(.timestamp(try Self.milliseconds(ofDateTime: toDatetime))) }
        if let fromFile { chosen.append(.plan(try Self.plan(fromFile: fromFile, groups: groups))) }
        if let byDuration {
            let back = try Self.seconds(ofDuration: byDuration)
            chosen.append(.timestamp(Int64(((now.timeIntervalSince1970 - back) * 1000).rounded())))
        }
        guard chosen.count == 1 else {
            throw ValidationError(
                "--reset-offsets takes exactly one of --to-earliest, --to-latest, --to-current, --to-offset, "
                    + "--shift-by, --to-datetime, --by-duration, --from-file"
            )
        }
        guard !(dryRun && execute) else {
            throw ValidationError("--reset-offsets takes one of --execute and --dry-run")
        }
        return chosen[0]
    }

    /// The CSV Kafka's `--export` writes: `topic,partition,offset` lines for a single `--group`, or
    /// `group,topic,partition,offset` lines.
    static func plan(fromFile path: String, groups: [String]) throws -> [String: [TopicPartition: Int64]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--from-file \(path): cannot read it")
        }
        var plan: [String: [TopicPartition: Int64]] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let invalid = ValidationError(
                "--from-file \(path): line \(number + 1) is not [group,]topic,partition,offset"
            )
            guard fields.count == 3 || fields.count == 4 else { throw invalid }
            let group: String
            if fields.count == 3 {
                guard groups.count == 1 else {
                    throw ValidationError("--from-file \(path): lines without a group need exactly one --group")
                }
                group = groups[0]
            } else {
                group = fields[0]
            }
            let tail = fields.suffix(3)
            guard let partition = Int32(tail[tail.startIndex + 1]), let offset = Int64(tail[tail.startIndex + 2]) else {
                throw invalid
            }
            plan[group, default: [:]][TopicPartition(tail[tail.startIndex], partition)] = offset
        }
        return plan
    }

    /// `2026-11-25T10:00:00.000`, with an optional `Z` or `±HH:mm` zone (local time without one); seconds'
    /// fraction optional.
    static func milliseconds(ofDateTime text: String) throws -> Int64 {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        for format in [
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd'T'HH:mm:ss.SSS",
            "yyyy-MM-dd'T'HH:mm:ss",
        ] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        throw ValidationError("--to-datetime \(text) is not YYYY-MM-DDTHH:mm:SS.sss")
    }

    /// An ISO-8601 duration as Java's `Duration.parse` reads it, `PnDTnHnMn.nS` (each part optional, an optional
    /// sign in front), in seconds.
    static func seconds(ofDuration text: String) throws -> Double {
        let invalid = ValidationError("--by-duration \(text) is not PnDTnHnMnS")
        var rest = Substring(text.uppercased())
        var sign = 1.0
        if rest.first == "-" || rest.first == "+" {
            sign = rest.first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        guard rest.first == "P" else { throw invalid }
        rest = rest.dropFirst()
        let units: [Character: Double] = ["D": 86_400, "H": 3_600, "M": 60, "S": 1]
        var inTime = false
        var total = 0.0
        var number = ""
        var parts = 0
        var timeParts = 0
        for character in rest {
            if character == "T", number.isEmpty, !inTime {
                inTime = true
            } else if character.isNumber || character == "." || (character == "-" && number.isEmpty) {
                number.append(character)
            } else if let unit = units[character], let value = Double(number), (character == "D") != inTime {
                total += value * unit
                number = ""
                parts += 1
                if inTime { timeParts += 1 }
            } else {
                throw invalid
            }
        }
        // Something after P, nothing left unread, and a T followed by a part.
        guard number.isEmpty, parts > 0, !inTime || timeParts > 0 else { throw invalid }
        return sign * total
    }
}
