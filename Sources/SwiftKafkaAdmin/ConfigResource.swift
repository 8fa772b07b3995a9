/// DescribeConfigs / IncrementalAlterConfigs resource types and config sources (Kafka's numbering).
enum ConfigResource {
    static let topic: Int8 = 2
    static let broker: Int8 = 4
    static let defaultConfigSource: Int8 = 5
    static let sourceNames: [Int8: String] = [
        1: "DYNAMIC_TOPIC_CONFIG", 2: "DYNAMIC_BROKER_CONFIG", 3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
        4: "STATIC_BROKER_CONFIG", 5: "DEFAULT_CONFIG", 6: "DYNAMIC_BROKER_LOGGER_CONFIG",
    ]
}
