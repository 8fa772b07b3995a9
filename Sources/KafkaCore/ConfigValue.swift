/// A Swift type that holds a config value, with Kafka's text form: how `ConfigDef` parses a value of its type
/// (`INT`, `LONG`, `BOOLEAN`, ...) from `server.properties` or an AlterConfigs request, and how Kafka prints it back
/// (DescribeConfigs, the startup `KafkaConfig values:` block). Absent optional values print as `null`.
public protocol ConfigValue: Sendable, Equatable {
    /// Kafka's name for the type, lower case (`ConfigDef.Type`): int, long, short, boolean, double, string, list.
    static var kafkaType: String { get }
    /// What a value of this type is, for the error that rejects one that is not ("an integer", ...).
    static var expectation: String { get }
    init?(configText: String)
    var configText: String { get }
}

extension Int32: ConfigValue {
    public static var kafkaType: String { "int" }
    public static var expectation: String { "an integer" }
    public init?(configText: String) { self.init(configText) }
    public var configText: String { "\(self)" }
}

extension Int16: ConfigValue {
    public static var kafkaType: String { "short" }
    public static var expectation: String { "a short" }
    public init?(configText: String) { self.init(configText) }
    public var configText: String { "\(self)" }
}

extension Int64: ConfigValue {
    public static var kafkaType: String { "long" }
    public static var expectation: String { "a long" }
    public init?(configText: String) { self.init(configText) }
    public var configText: String { "\(self)" }
}

/// Kafka `INT` values that the broker keeps as `Int` (sizes and counts used with collections).
extension Int: ConfigValue {
    public static var kafkaType: String { "int" }
    public static var expectation: String { "an integer" }
    public init?(configText: String) {
        guard let value = Int32(configText) else { return nil }
        self = Int(value)
    }
    public var configText: String { "\(self)" }
}

extension Bool: ConfigValue {
    public static var kafkaType: String { "boolean" }
    public static var expectation: String { "true or false" }
    public init?(configText: String) {
        switch configText.lowercased() {
        case "true": self = true
        case "false": self = false
        default: return nil
        }
    }
    public var configText: String { "\(self)" }
}

extension Double: ConfigValue {
    public static var kafkaType: String { "double" }
    public static var expectation: String { "a number" }
    public init?(configText: String) { self.init(configText) }
    public var configText: String { "\(self)" }
}

extension String: ConfigValue {
    public static var kafkaType: String { "string" }
    public static var expectation: String { "a string" }
    public init?(configText: String) { self = configText }
    public var configText: String { self }
}

/// Kafka `LIST`: comma-separated, each item trimmed, empty items dropped.
extension Array: ConfigValue where Element == String {
    public static var kafkaType: String { "list" }
    public static var expectation: String { "a non-empty list" }
    public init?(configText: String) {
        let items = configText.split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }
        guard !items.isEmpty else { return nil }
        self = items
    }
    public var configText: String { joined(separator: ",") }
}

/// A key without a default (Kafka's `null`), such as `advertised.listeners`.
extension Optional: ConfigValue where Wrapped: ConfigValue {
    public static var kafkaType: String { Wrapped.kafkaType }
    public static var expectation: String { Wrapped.expectation }
    public init?(configText: String) {
        guard let value = Wrapped(configText: configText) else { return nil }
        self = .some(value)
    }
    public var configText: String { map(\.configText) ?? "null" }
}

/// A key's validator (Kafka's `ConfigDef.Validator`): which parsed values are allowed, and how the rule reads in
/// an error ("'0' is not an integer of at least 1").
public struct ConfigCheck<Value: ConfigValue>: Sendable {
    public let allows: @Sendable (Value) -> Bool
    /// Completes "'<text>' is not ...".
    public let expectation: String

    /// Every value of the type.
    public static var any: ConfigCheck { ConfigCheck(allows: { _ in true }, expectation: Value.expectation) }

    /// One of the listed values (`offsets.storage`: kafka or zookeeper).
    public static func oneOf(_ values: [Value]) -> ConfigCheck {
        ConfigCheck(
            allows: { values.contains($0) },
            expectation: values.dropLast().map(\.configText).joined(separator: ", ")
                + (values.count > 1 ? " or " : "") + (values.last?.configText ?? "")
        )
    }
}

extension ConfigCheck where Value: Comparable {
    /// Kafka's `Range.atLeast`.
    public static func atLeast(_ minimum: Value) -> ConfigCheck {
        ConfigCheck(allows: { $0 >= minimum }, expectation: "\(Value.expectation) of at least \(minimum.configText)")
    }

    /// Kafka's `Range.between`.
    public static func between(_ low: Value, _ high: Value) -> ConfigCheck {
        ConfigCheck(
            allows: { $0 >= low && $0 <= high },
            expectation: "\(Value.expectation) between \(low.configText) and \(high.configText)"
        )
    }
}

extension String {
    /// The text without leading and trailing whitespace.
    public func trimmingCharacters() -> String {
        var result = Substring(self)
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }

}
