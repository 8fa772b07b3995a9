import Foundation

/// Kafka's schema names in Swift casing: `TransactionalId` → `transactionalID`, `LeaderIdAndEpoch` →
/// `LeaderIDAndEpoch`; Swift keywords are escaped.
enum Naming {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "func", "import", "init", "inout", "internal",
        "let", "operator", "private", "protocol", "public", "static", "struct", "subscript", "typealias", "var",
        "break", "case", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in",
        "repeat", "return", "switch", "where", "while", "as", "catch", "false", "is", "nil", "rethrows", "super",
        "self", "Self", "throw", "throws", "true", "try", "Type", "Protocol", "Any",
    ]

    private static let idPattern = try! NSRegularExpression(pattern: "Id(?=s?[A-Z]|s?$)")

    private static func replacingIDs(_ name: String) -> String {
        idPattern.stringByReplacingMatches(
            in: name,
            range: NSRange(name.startIndex..., in: name),
            withTemplate: "ID"
        )
    }

    static func typeName(_ name: String) -> String {
        let replaced = replacingIDs(name)
        return replaced.prefix(1).uppercased() + replaced.dropFirst()
    }

    static func propertyName(_ name: String) -> String {
        var replaced = replacingIDs(name)
        if replaced.hasPrefix("ID") {
            replaced = "id" + replaced.dropFirst(2)
        } else {
            replaced = replaced.prefix(1).lowercased() + replaced.dropFirst()
        }
        return keywords.contains(replaced) ? "`\(replaced)`" : replaced
    }

    /// The property name without keyword escaping, for labels in strings.
    static func plain(_ property: String) -> String { property.replacingOccurrences(of: "`", with: "") }
}
