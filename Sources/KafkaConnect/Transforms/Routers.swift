import Foundation

/// `org.apache.kafka.connect.transforms.RegexRouter`: when `regex` matches the whole topic name, the topic
/// becomes `replacement` with `$1`-style group references filled in (Java's `Matcher.replaceFirst`).
public struct RegexRouter: Transformation {
    let regex: NSRegularExpression
    let replacement: String

    public init(config: [String: String]) throws(ConnectConfigError) {
        let pattern = try TransformSupport.required(config, "regex")
        guard let replacement = config["replacement"] else {
            throw ConnectConfigError("Missing required configuration \"replacement\" which has no default value.")
        }
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw ConnectConfigError("Invalid value \(pattern) for configuration regex: not a regular expression")
        }
        self.replacement = replacement
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let topic = record.topic as NSString
        let whole = NSRange(location: 0, length: topic.length)
        guard let match = regex.firstMatch(in: record.topic, range: whole), match.range == whole else { return record }
        var copy = record
        copy.topic = regex.replacementString(for: match, in: record.topic, offset: 0, template: replacement)
        return copy
    }
}

/// `org.apache.kafka.connect.transforms.TimestampRouter`: the topic becomes `topic.format` (default
/// `${topic}-${timestamp}`) with `${timestamp}` the record's timestamp written by `timestamp.format` (default
/// `yyyyMMdd`, Java's SimpleDateFormat letters y M d H m s S and quoted text, in UTC). A record without a
/// timestamp fails, as in Kafka.
public struct TimestampRouter: Transformation {
    let topicFormat: String
    let timestampFormat: String

    public init(config: [String: String]) throws(ConnectConfigError) {
        topicFormat = config["topic.format"] ?? "${topic}-${timestamp}"
        timestampFormat = config["timestamp.format"] ?? "yyyyMMdd"
        if timestampFormat.contains(where: { $0.isLetter && !"yMdHmsS'".contains($0) })
            && !timestampFormat.contains("'")
        {
            throw ConnectConfigError("timestamp.format \(timestampFormat) uses letters other than y M d H m s S")
        }
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        guard let timestamp = record.timestamp else {
            throw ConnectDataError("Timestamp missing on record: \(record.topic)")
        }
        var copy = record
        copy.topic = topicFormat.replacingOccurrences(of: "${topic}", with: record.topic)
            .replacingOccurrences(of: "${timestamp}", with: Self.format(timestamp, timestampFormat))
        return copy
    }

    /// `milliseconds` since the epoch in UTC by a SimpleDateFormat pattern.
    static func format(_ milliseconds: Int64, _ pattern: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let millis = Int(((milliseconds % 1000) + 1000) % 1000)
        var out = ""
        var characters = Array(pattern)[...]
        while let letter = characters.first {
            if letter == "'" {
                characters.removeFirst()
                while let next = characters.first, next != "'" {
                    out.append(next)
                    characters.removeFirst()
                }
                if !characters.isEmpty { characters.removeFirst() }
                continue
            }
            let count = characters.prefix { $0 == letter }.count
            characters.removeFirst(count)
            func padded(_ number: Int) -> String {
                let text = String(number)
                return String(repeating: "0", count: max(0, count - text.count)) + text
            }
            switch letter {
            case "y": out += count == 2 ? padded((parts.year ?? 0) % 100) : padded(parts.year ?? 0)
            case "M": out += padded(parts.month ?? 0)
            case "d": out += padded(parts.day ?? 0)
            case "H": out += padded(parts.hour ?? 0)
            case "m": out += padded(parts.minute ?? 0)
            case "s": out += padded(parts.second ?? 0)
            case "S": out += padded(millis)
            default: out += String(repeating: letter, count: count)
            }
        }
        return out
    }
}
