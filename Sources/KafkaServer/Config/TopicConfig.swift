import KafkaCore
public import KafkaStorage

/// Topic-level configs (`/config/topics/<t>`, CreateTopics, AlterConfigs) over the broker's defaults, with Kafka's
/// topic key names: the rows of `ConfigTable` that have a topic name. An unknown key or a value that does not parse
/// is INVALID_CONFIG.
public enum TopicConfig {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var key: String
        public var value: String
        public var description: String { "Invalid value \(value) for configuration \(key)" }
    }

    /// Every topic-level key name.
    public static var keys: Set<String> { Set(ConfigTable.topicKeys.keys) }

    /// The LogConfig of a topic with these overrides over the broker's defaults.
    public static func apply(_ overrides: [String: String], to defaults: LogConfig) throws(Invalid) -> LogConfig {
        var config = defaults
        for (key, value) in overrides {
            guard let row = ConfigTable.topicKeys[key] else { throw Invalid(key: key, value: value) }
            if let setTopic = row.setTopic {
                try setTopic(&config, value.trimmingCharacters())
            } else if !row.isValid(value.trimmingCharacters()) {
                throw Invalid(key: key, value: value)
            }
        }
        return config
    }
}

extension TopicConfig {
    /// Where a described config value comes from (DescribeConfigs' ConfigSource).
    public enum Source: Int8, Sendable {
        case dynamicTopicConfig = 1
        case staticBrokerConfig = 4
        case defaultConfig = 5
    }

    /// The topic's effective configs, as DescribeConfigs lists them: every topic key, sorted, with its value and
    /// where the value comes from: a topic override; else a broker setting that differs from Kafka's default (a
    /// synonym in server.properties, STATIC_BROKER_CONFIG); else the default.
    public static func describe(
        _ overrides: [String: String],
        broker: BrokerConfig
    ) -> [(name: String, value: String, source: Source)] {
        let config = (try? apply(overrides, to: broker.logConfig)) ?? broker.logConfig
        let kafkaDefaults = BrokerConfig()
        return ConfigTable.topicKeys.map { name, row -> (String, String, Source) in
            func value(_ log: LogConfig, _ brokerConfig: BrokerConfig) -> String {
                row.getTopic?(log) ?? row.value(in: brokerConfig)
            }
            if let override = overrides[name] {
                return (name, row.getTopic?(config) ?? override, .dynamicTopicConfig)
            }
            let brokerValue = value(broker.logConfig, broker)
            let isDefault = brokerValue == value(kafkaDefaults.logConfig, kafkaDefaults)
            return (name, brokerValue, isDefault ? .defaultConfig : .staticBrokerConfig)
        }.sorted { $0.0 < $1.0 }
    }
}
