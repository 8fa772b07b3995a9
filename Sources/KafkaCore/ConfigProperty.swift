/// One key of a client configuration (`ProducerConfiguration`, ...): Kafka's property name, the typed property that
/// holds its value (whose initializer is the Java client's default), its validator and a documentation line. A
/// configuration type lists its keys once, in `properties`; parsing and printing come from that list.
public struct ConfigProperty<Config>: Sendable {
    public let name: String
    public let kafkaType: String
    public let documentation: String
    let set: @Sendable (inout Config, String) throws(ConfigError) -> Void
    let get: @Sendable (Config) -> String

    /// A key kept in the property `path`.
    public static func key<Value: ConfigValue>(
        _ name: String,
        _ path: any WritableKeyPath<Config, Value> & Sendable,
        _ check: ConfigCheck<Value>,
        _ documentation: String
    ) -> ConfigProperty {
        ConfigProperty(
            name: name,
            kafkaType: Value.kafkaType,
            documentation: documentation,
            set: { config, text throws(ConfigError) in
                guard let value = Value(configText: text), check.allows(value) else {
                    throw ConfigError(key: name, reason: "'\(text)' is not \(check.expectation)")
                }
                config[keyPath: path] = value
            },
            get: { $0[keyPath: path].configText }
        )
    }

    /// A secret (Kafka's `PASSWORD` type): kept in `path`, printed as `[hidden]`.
    public static func password(
        _ name: String,
        _ path: any WritableKeyPath<Config, String?> & Sendable,
        _ documentation: String
    ) -> ConfigProperty {
        ConfigProperty(
            name: name,
            kafkaType: "password",
            documentation: documentation,
            set: { config, text in config[keyPath: path] = text },
            get: { $0[keyPath: path] == nil ? "null" : "[hidden]" }
        )
    }

    /// A key without a validator beyond its type.
    public static func key<Value: ConfigValue>(
        _ name: String,
        _ path: any WritableKeyPath<Config, Value> & Sendable,
        _ documentation: String
    ) -> ConfigProperty {
        key(name, path, .any, documentation)
    }

    /// The key's value in `config`, as Kafka prints it.
    public func value(in config: Config) -> String { get(config) }

    /// This key as a key of an enclosing configuration that holds this one at `path` (the common client keys
    /// inside a producer's configuration).
    public func lifted<Outer>(_ path: any WritableKeyPath<Outer, Config> & Sendable) -> ConfigProperty<Outer> {
        let (set, get) = (self.set, self.get)
        return ConfigProperty<Outer>(
            name: name,
            kafkaType: kafkaType,
            documentation: documentation,
            set: { outer, text throws(ConfigError) in try set(&outer[keyPath: path], text) },
            get: { get($0[keyPath: path]) }
        )
    }
}

/// A configuration that cannot be used: an unknown key, or a value its key refuses.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "Invalid value for configuration \(key): \(reason)" }
}

/// A configuration read from Kafka property names.
public protocol PropertyConfigurable: Sendable {
    /// Every key, once.
    static var properties: [ConfigProperty<Self>] { get }
    /// The Java client's defaults.
    init()
}

extension PropertyConfigurable {
    /// The defaults with `properties` applied; an unknown key is refused (a misspelt key must not be silently
    /// ignored), as is a value its key does not accept.
    public init(properties: [String: String]) throws(ConfigError) {
        self.init()
        try apply(properties)
    }

    /// Sets the keys of `properties` (unknown keys refused), leaving the others as they are.
    public mutating func apply(_ properties: [String: String]) throws(ConfigError) {
        let known = Dictionary(uniqueKeysWithValues: Self.properties.map { ($0.name, $0) })
        for (name, text) in properties.sorted(by: { $0.key < $1.key }) {
            guard let property = known[name] else {
                throw ConfigError(key: name, reason: "unknown configuration key")
            }
            try property.set(&self, text.trimmingCharacters())
        }
    }

    /// Every key with its value, sorted by name (what Kafka's clients log as `ProducerConfig values:`).
    public var values: [(key: String, value: String)] {
        Self.properties.map { (key: $0.name, value: $0.value(in: self)) }.sorted { $0.key < $1.key }
    }
}
