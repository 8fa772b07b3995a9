/// Java `.properties` text as Kafka reads `server.properties`: `key=value`, `key: value` or `key value`; `#` and
/// `!` comment lines; a trailing backslash continues a line; `\t`, `\n`, `\\`, `\=`, `\:` and `\uXXXX` escapes.
public enum JavaProperties {
    public static func parse(_ text: String) -> [(key: String, value: String)] {
        var logicalLines: [String] = []
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
            if pending.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!")) { continue }
            let trailingBackslashes = trimmed.reversed().prefix { $0 == "\\" }.count
            if trailingBackslashes % 2 == 1 {
                pending += trimmed.dropLast()
                continue
            }
            logicalLines.append(pending + trimmed)
            pending = ""
        }
        if !pending.isEmpty { logicalLines.append(pending) }
        return logicalLines.map(split)
    }

    private static func split(_ line: String) -> (key: String, value: String) {
        var key = ""
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "\\", line.index(after: index) < line.endIndex {
                key.append(line[line.index(after: index)])
                index = line.index(index, offsetBy: 2)
                continue
            }
            if character == "=" || character == ":" || character == " " || character == "\t" { break }
            key.append(character)
            index = line.index(after: index)
        }
        var rest = line[index...].drop { $0 == " " || $0 == "\t" }
        if let first = rest.first, first == "=" || first == ":" {
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        }
        return (unescape(key), unescape(String(rest)))
    }

    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var iterator = Array(text)[...]
        while let character = iterator.popFirst() {
            guard character == "\\", let next = iterator.popFirst() else {
                result.append(character)
                continue
            }
            switch next {
            case "t": result.append("\t")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "f": result.append("\u{0C}")
            case "u":
                let hex = String(iterator.prefix(4))
                iterator = iterator.dropFirst(4)
                if let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) {
                    result.unicodeScalars.append(scalar)
                }
            default: result.append(next)
            }
        }
        return result
    }
}

extension JavaProperties {
    /// A `--override` argument of the executables that is not `key=value`.
    public struct BadOverride: Error, Sendable, CustomStringConvertible {
        public var argument: String
        public var description: String { "--override \(argument) is not key=value" }
    }

    /// The executables' `--override key=value` arguments as pairs (split at the first `=`), applied after the
    /// properties file.
    public static func overrides(_ arguments: [String]) throws(BadOverride) -> [(String, String)] {
        try arguments.map { argument throws(BadOverride) in
            guard let equals = argument.firstIndex(of: "=") else { throw BadOverride(argument: argument) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
    }
}
