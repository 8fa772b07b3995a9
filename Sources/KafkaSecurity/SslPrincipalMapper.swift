import Foundation

/// `ssl.principal.mapping.rules` (KIP-371, Kafka's `SslPrincipalMapper`): how a client certificate's subject (its
/// RFC 2253 distinguished name, most specific attribute first: `CN=alice,OU=eng,O=acme`) becomes a principal's
/// name. Rules are tried in order, the first whose pattern matches the whole name wins: `DEFAULT` keeps the name,
/// `RULE:<pattern>/<replacement>/[L|U]` rewrites it (`$1` names a group) and optionally lower- or upper-cases it.
/// No matching rule fails the authentication. Parsed once per listener at startup.
public struct SslPrincipalMapper: Sendable {
    enum Rule: @unchecked Sendable {
        // NSRegularExpression is immutable once made and safe to share between threads (Foundation documents it
        // thread-safe), but does not declare Sendable.
        case keep
        case rewrite(NSRegularExpression, replacement: String, caseChange: Character?)
    }

    let rules: [Rule]
    let text: String

    public struct InvalidRules: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(rules text: String = "DEFAULT") throws(InvalidRules) {
        self.text = text
        var rules: [Rule] = []
        for entry in Self.split(text) {
            if entry == "DEFAULT" {
                rules.append(.keep)
                continue
            }
            guard entry.hasPrefix("RULE:") else { throw InvalidRules(description: "Invalid rule: \(entry)") }
            let parts = Self.splitOnSlashes(String(entry.dropFirst(5)))
            guard parts.count == 3, parts[2].count <= 1, parts[2].isEmpty || parts[2] == "L" || parts[2] == "U",
                let pattern = try? NSRegularExpression(pattern: "^(?:" + parts[0] + ")$")
            else { throw InvalidRules(description: "Invalid rule: \(entry)") }
            rules.append(.rewrite(pattern, replacement: parts[1], caseChange: parts[2].first))
        }
        guard !rules.isEmpty else { throw InvalidRules(description: "Invalid rule: \(text)") }
        self.rules = rules
    }

    /// The principal name for `distinguishedName`, or nil when no rule applies.
    public func name(for distinguishedName: String) -> String? {
        for rule in rules {
            switch rule {
            case .keep:
                return distinguishedName
            case .rewrite(let pattern, let replacement, let caseChange):
                let range = NSRange(distinguishedName.startIndex..., in: distinguishedName)
                guard pattern.firstMatch(in: distinguishedName, range: range) != nil else { continue }
                // `$1` names a group and `\` escapes, in Java's replacement strings and in these templates alike.
                let name = pattern.stringByReplacingMatches(
                    in: distinguishedName,
                    range: range,
                    withTemplate: replacement
                )
                switch caseChange {
                case "L": return name.lowercased()
                case "U": return name.uppercased()
                default: return name
                }
            }
        }
        return nil
    }

    /// Rules are separated by commas or new lines; a comma inside a RULE's pattern or replacement (escaped or not
    /// by a slash-delimited part) belongs to the rule.
    static func split(_ text: String) -> [String] {
        var entries: [String] = []
        var current = ""
        var slashes = 0
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                current.append(character)
                continue
            }
            if character == "/" { slashes += 1 }
            let inRule = current.trimmingCharacters(in: .whitespaces).hasPrefix("RULE:") && slashes < 2
            if (character == "," || character == "\n") && !inRule {
                entries.append(current)
                current = ""
                slashes = 0
                continue
            }
            current.append(character)
        }
        entries.append(current)
        return entries.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// `pattern/replacement/flags`, where `\/` is a slash inside a part.
    static func splitOnSlashes(_ text: String) -> [String] {
        var parts: [String] = [""]
        var escaped = false
        for character in text {
            if escaped {
                parts[parts.count - 1].append(character == "/" ? "/" : "\\")
                if character != "/" { parts[parts.count - 1].append(character) }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "/" && parts.count < 3 {
                parts.append("")
            } else {
                parts[parts.count - 1].append(character)
            }
        }
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
