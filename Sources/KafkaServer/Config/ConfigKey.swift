import KafkaCore
import KafkaStorage

/// One row of the config table (`ConfigTable`): a broker key, a topic-level key, or a broker key that is the default
/// of a topic-level key (its synonym, as `log.segment.bytes` is of `segment.bytes`). The row holds the key's name(s),
/// Kafka type, validator, documentation line and where its value lives; the value's Swift type and default are the
/// property it points at (in `BrokerConfig`, or `LogConfig` for a log setting). Everything that reads or prints
/// configs goes through the rows: parsing `server.properties`, topic overrides, the startup print, DescribeConfigs
/// and the documented `conf/server.properties`.
///
/// A key the broker accepts without acting on it (Kafka's threads, socket buffers, ...) is an `accepted` row: its
/// value is kept as text in `BrokerConfig.acceptedValues` and shown, so Kafka's files and tools work unchanged.
public struct ConfigKey: Sendable {
    /// The `server.properties` name; nil for a key that exists only per topic.
    public let brokerName: String?
    /// The topic-level name; nil for a broker-only key. Topic keys are the dynamic ones: AlterConfigs changes them
    /// per topic at run time. Broker keys are static (read from `server.properties` at startup).
    public let topicName: String?
    /// Kafka's type name: int, long, short, boolean, double, string, list.
    public let kafkaType: String
    /// One or two sentences: what the key does, in Kafka's terms.
    public let documentation: String
    /// The value `conf/server.properties` sets (uncommented) instead of documenting the default.
    public let example: String?

    let setBroker: @Sendable (inout BrokerConfig, String) throws(BrokerConfig.Error) -> Void
    let getBroker: @Sendable (BrokerConfig) -> String
    /// Applies a topic override; nil for a key the broker does not act on per topic (its value is only checked).
    let setTopic: (@Sendable (inout LogConfig, String) throws(TopicConfig.Invalid) -> Void)?
    /// The topic's effective value from its LogConfig; nil when the value is not kept there.
    let getTopic: (@Sendable (LogConfig) -> String)?
    /// Whether `text` is a valid value (type and validator).
    let isValid: @Sendable (String) -> Bool
    /// A password (Kafka's `PASSWORD` type): printed as `[hidden]`, described with a null value and
    /// `is_sensitive`, never logged.
    public var isSensitive = false

    /// The key's name where it is defined first: its broker name, else its topic name.
    public var name: String { brokerName ?? topicName ?? "" }

    /// The value in `config`, as Kafka prints it (`null` for an absent optional value).
    public func value(in config: BrokerConfig) -> String { getBroker(config) }

    /// Kafka's default, as printed.
    public var defaultValue: String { getBroker(BrokerConfig()) }
}

extension ConfigKey {
    /// A broker key kept in a `BrokerConfig` property.
    static func broker<Value: ConfigValue>(
        _ name: String,
        _ path: any WritableKeyPath<BrokerConfig, Value> & Sendable,
        _ check: ConfigCheck<Value>,
        example: String? = nil,
        _ documentation: String
    ) -> ConfigKey {
        ConfigKey(
            brokerName: name,
            topicName: nil,
            kafkaType: Value.kafkaType,
            documentation: documentation,
            example: example,
            setBroker: { config, text throws(BrokerConfig.Error) in
                config[keyPath: path] = try parse(text, check, orThrow: { BrokerConfig.Error(key: name, reason: $0) })
            },
            getBroker: { $0[keyPath: path].configText },
            setTopic: nil,
            getTopic: nil,
            isValid: { Value(configText: $0).map(check.allows) ?? false }
        )
    }

    /// A log setting: the broker key `brokerName` is the default of the topic key `topicName`, both kept in the
    /// LogConfig property `path` (the broker's defaults in `BrokerConfig.logConfig`). Either name may be nil (a
    /// topic-only key, or a broker key without a topic synonym).
    static func log<Value: ConfigValue>(
        _ brokerName: String?,
        topic topicName: String?,
        _ path: any WritableKeyPath<LogConfig, Value> & Sendable,
        _ check: ConfigCheck<Value>,
        example: String? = nil,
        _ documentation: String
    ) -> ConfigKey {
        ConfigKey(
            brokerName: brokerName,
            topicName: topicName,
            kafkaType: Value.kafkaType,
            documentation: documentation,
            example: example,
            setBroker: { config, text throws(BrokerConfig.Error) in
                config.logConfig[keyPath: path] = try parse(
                    text,
                    check,
                    orThrow: { BrokerConfig.Error(key: brokerName ?? "", reason: $0) }
                )
            },
            getBroker: { $0.logConfig[keyPath: path].configText },
            setTopic: { config, text throws(TopicConfig.Invalid) in
                config[keyPath: path] = try parse(
                    text,
                    check,
                    orThrow: { _ in TopicConfig.Invalid(key: topicName ?? "", value: text) }
                )
            },
            getTopic: { $0[keyPath: path].configText },
            isValid: { Value(configText: $0).map(check.allows) ?? false }
        )
    }

    /// A key Kafka defines that this broker accepts and shows but does not act on; `defaultValue` is Kafka's.
    static func accepted<Value: ConfigValue>(
        _ brokerName: String?,
        topic topicName: String? = nil,
        default defaultValue: Value,
        _ check: ConfigCheck<Value>,
        _ documentation: String
    ) -> ConfigKey {
        let name = brokerName ?? topicName ?? ""
        return ConfigKey(
            brokerName: brokerName,
            topicName: topicName,
            kafkaType: Value.kafkaType,
            documentation: documentation,
            example: nil,
            setBroker: { config, text throws(BrokerConfig.Error) in
                let value = try parse(text, check, orThrow: { BrokerConfig.Error(key: name, reason: $0) })
                config.acceptedValues[name] = value.configText
            },
            getBroker: { $0.acceptedValues[name] ?? defaultValue.configText },
            setTopic: nil,
            getTopic: nil,
            isValid: { Value(configText: $0).map(check.allows) ?? false }
        )
    }

    /// A password kept in a `BrokerConfig` property: its value is never shown (`[hidden]` when set).
    static func password(
        _ name: String,
        _ path: any WritableKeyPath<BrokerConfig, String?> & Sendable,
        _ documentation: String
    ) -> ConfigKey {
        ConfigKey(
            brokerName: name,
            topicName: nil,
            kafkaType: "password",
            documentation: documentation,
            example: nil,
            setBroker: { config, text in config[keyPath: path] = text },
            getBroker: { $0[keyPath: path] == nil ? "null" : "[hidden]" },
            setTopic: nil,
            getTopic: nil,
            isValid: { _ in true },
            isSensitive: true
        )
    }

    /// A broker key without a validator beyond its type.
    static func broker<Value: ConfigValue>(
        _ name: String,
        _ path: any WritableKeyPath<BrokerConfig, Value> & Sendable,
        example: String? = nil,
        _ documentation: String
    ) -> ConfigKey {
        broker(name, path, .any, example: example, documentation)
    }

    /// A log setting without a validator beyond its type.
    static func log<Value: ConfigValue>(
        _ brokerName: String?,
        topic topicName: String?,
        _ path: any WritableKeyPath<LogConfig, Value> & Sendable,
        _ documentation: String
    ) -> ConfigKey {
        log(brokerName, topic: topicName, path, .any, documentation)
    }

    /// An accepted key without a validator beyond its type.
    static func accepted<Value: ConfigValue>(
        _ brokerName: String?,
        topic topicName: String? = nil,
        default defaultValue: Value,
        _ documentation: String
    ) -> ConfigKey {
        accepted(brokerName, topic: topicName, default: defaultValue, .any, documentation)
    }

    private static func parse<Value: ConfigValue, Failure: Error>(
        _ text: String,
        _ check: ConfigCheck<Value>,
        orThrow failure: (String) -> Failure
    ) throws(Failure) -> Value {
        guard let value = Value(configText: text), check.allows(value) else {
            throw failure("'\(text)' is not \(check.expectation)")
        }
        return value
    }
}
