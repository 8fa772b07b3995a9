import Foundation
import KafkaStorage
import Testing

@testable import KafkaServer

/// The config table is the one definition of each key: the rows are distinct, every default is a value the row
/// itself accepts, the topic keys are the topic keys DescribeConfigs lists, and `conf/server.properties` is exactly
/// the table's documentation of its broker keys.
@Suite("config table")
struct ConfigTableTests {
    @Test func namesAreUniqueAndEveryRowHasDocumentation() {
        let brokerNames = ConfigTable.keys.compactMap(\.brokerName)
        let topicNames = ConfigTable.keys.compactMap(\.topicName)
        #expect(Set(brokerNames).count == brokerNames.count)
        #expect(Set(topicNames).count == topicNames.count)
        for key in ConfigTable.keys {
            #expect(key.brokerName != nil || key.topicName != nil)
            #expect(key.documentation.hasSuffix("."), "\(key.name)")
        }
    }

    @Test func everyDefaultIsAValueItsOwnRowAccepts() throws {
        for key in ConfigTable.keys where key.defaultValue != "null" && key.brokerName != nil {
            var config = BrokerConfig()
            try key.setBroker(&config, key.defaultValue)
            #expect(key.value(in: config) == key.defaultValue, "\(key.name)")
        }
    }

    @Test func aValueOutsideTheValidatorIsRefusedWithItsKey() {
        #expect(throws: BrokerConfig.Error(key: "log.segment.bytes", reason: "'13' is not an integer of at least 14")) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\nlog.segment.bytes=13\n")
        }
        #expect(
            throws: BrokerConfig.Error(
                key: "log.cleaner.min.cleanable.ratio",
                reason: "'1.5' is not a number between 0.0 and 1.0"
            )
        ) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\nlog.cleaner.min.cleanable.ratio=1.5\n")
        }
        #expect(throws: TopicConfig.Invalid.self) { _ = try TopicConfig.apply(["segment.ms": "0"], to: LogConfig()) }
        #expect(throws: TopicConfig.Invalid.self) {
            _ = try TopicConfig.apply(["preallocate": "maybe"], to: LogConfig())
        }
    }

    @Test func aBrokerSynonymIsTheTopicDefaultAndAnOverrideWins() throws {
        let (broker, _) = try BrokerConfig.parse(
            properties: "zookeeper.connect=zk:2181\nlog.segment.bytes=1048576\ncompression.type=gzip\n"
        )
        let described = TopicConfig.describe(["retention.ms": "1000"], broker: broker)
        #expect(described.map(\.name) == described.map(\.name).sorted())
        #expect(Set(described.map(\.name)) == TopicConfig.keys)
        let byName = Dictionary(uniqueKeysWithValues: described.map { ($0.name, ($0.value, $0.source)) })
        #expect(byName["segment.bytes"]?.0 == "1048576")
        #expect(byName["segment.bytes"]?.1 == .staticBrokerConfig)
        #expect(byName["compression.type"]?.0 == "gzip")
        #expect(byName["retention.ms"]?.0 == "1000")
        #expect(byName["retention.ms"]?.1 == .dynamicTopicConfig)
        #expect(byName["cleanup.policy"]?.0 == "delete")
        #expect(byName["cleanup.policy"]?.1 == .defaultConfig)
        #expect(byName["max.message.bytes"]?.0 == "1048588")
    }

    @Test func confServerPropertiesIsTheTablesDocumentation() throws {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("conf/server.properties")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(
            text == ConfigTable.documentedProperties(),
            "conf/server.properties is stale: swiftkafka-broker --print-properties > conf/server.properties"
        )
        // Every broker key appears once, set or commented out with its default.
        for key in ConfigTable.keys {
            guard let name = key.brokerName else { continue }
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("\(name)=") || $0.hasPrefix("#\(name)=") }
            #expect(lines.count == 1, "\(name)")
            if key.example == nil {
                #expect(lines.first == "#\(name)=\(key.defaultValue == "null" ? "" : key.defaultValue)")
            }
        }
    }
}
