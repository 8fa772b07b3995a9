public import KafkaCore
public import KafkaStorage

/// The log settings whose Swift types are enums, read and printed as Kafka does.
extension LogConfig.CleanupPolicy: ConfigValue {
    public static var kafkaType: String { "list" }
    public static var expectation: String { "delete, compact or compact,delete" }
    public init?(configText: String) {
        switch configText.split(separator: ",").map({ String($0).trimmingCharacters() }).sorted() {
        case ["delete"]: self = .delete
        case ["compact"]: self = .compact
        case ["compact", "delete"]: self = .compactAndDelete
        default: return nil
        }
    }
    public var configText: String { rawValue }
}

extension LogConfig.TimestampType: ConfigValue {
    public static var kafkaType: String { "string" }
    public static var expectation: String { "CreateTime or LogAppendTime" }
    public init?(configText: String) { self.init(rawValue: configText) }
    public var configText: String { rawValue }
}
