/// A `sasl.jaas.config` value as Kafka's `JaasConfig` reads it: one login module, a control flag, options, a
/// semicolon — `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin"
/// password="admin-secret" user_alice="alice-secret";`. Values are double-quoted (with `\"` and `\\` escapes) or
/// bare words. The broker reads its listeners' PLAIN users (`user_<name>`) and its own client credentials
/// (`username`, `password`) from it; clients their credentials.
public struct JaasConfig: Sendable, Equatable {
    public var loginModule: String
    public var controlFlag: String
    public var options: [String: String]

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(ParseError) {
        var scanner = Scanner(Array(text.unicodeScalars))
        guard let module = scanner.word() else { throw ParseError(description: "no login module") }
        guard let flag = scanner.word(),
            ["required", "requisite", "sufficient", "optional"].contains(flag.lowercased())
        else { throw ParseError(description: "login module control flag not specified in JAAS config") }
        loginModule = module
        controlFlag = flag.lowercased()
        options = [:]
        while true {
            scanner.skipSpace()
            guard let next = scanner.peek() else {
                throw ParseError(description: "JAAS config entry not terminated by semi-colon")
            }
            if next == ";" {
                scanner.index += 1
                break
            }
            guard let key = scanner.word(stoppingAt: "="), scanner.peek() == "=" else {
                throw ParseError(description: "invalid JAAS config option near position \(scanner.index)")
            }
            scanner.index += 1
            guard let value = scanner.value() else {
                throw ParseError(description: "value not specified for key '\(key)' in JAAS config")
            }
            options[key] = value
        }
        scanner.skipSpace()
        guard scanner.peek() == nil else {
            throw ParseError(description: "JAAS config property contains more than one login module")
        }
    }

    /// PlainLoginModule's users: each `user_<name>` option.
    public var plainUsers: [String: String] {
        var users: [String: String] = [:]
        for (key, value) in options where key.hasPrefix("user_") { users[String(key.dropFirst(5))] = value }
        return users
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func skipSpace() {
            while let scalar = peek(), scalar.properties.isWhitespace { index += 1 }
        }

        mutating func word(stoppingAt stop: Unicode.Scalar = ";") -> String? {
            skipSpace()
            var result = ""
            while let scalar = peek(), !scalar.properties.isWhitespace, scalar != stop, scalar != ";", scalar != "\"" {
                result.unicodeScalars.append(scalar)
                index += 1
            }
            return result.isEmpty ? nil : result
        }

        mutating func value() -> String? {
            skipSpace()
            guard peek() == "\"" else { return word() }
            index += 1
            var result = ""
            while let scalar = peek() {
                index += 1
                if scalar == "\"" { return result }
                if scalar == "\\", let escaped = peek() {
                    index += 1
                    result.unicodeScalars.append(escaped)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            return nil
        }
    }
}
