import KafkaStorage
import Testing

@testable import KafkaServer

@Suite("server.properties")
struct BrokerConfigTests {
    @Test func kafkaKeysAndDefaults() throws {
        let text = """
            # a comment
            ! another
            broker.id = 7
            listeners=PLAINTEXT://127.0.0.1:9092,REPL://127.0.0.1:9093
            log.dirs=/data/a, /data/b
            zookeeper.connect=zk1:2181,zk2:2181/kafka
            log.retention.hours=24
            log.segment.bytes=\\
              1048576
            num.partitions: 6
            """
        let (config, warnings) = try BrokerConfig.parse(properties: text)
        #expect(warnings.isEmpty)
        #expect(config.brokerID == 7)
        #expect(config.logDirs == ["/data/a", "/data/b"])
        #expect(config.zookeeperConnect == "zk1:2181,zk2:2181/kafka")
        #expect(config.logConfig.retentionMs == 24 * 3_600_000)
        #expect(config.logConfig.segmentBytes == 1_048_576)
        #expect(config.numPartitions == 6)
        // Kafka's defaults where the file is silent.
        #expect(config.messageMaxBytes == 1_048_588)
        #expect(config.socketRequestMaxBytes == 104_857_600)
        #expect(config.zookeeperSessionTimeoutMs == 18_000)
        #expect(config.zookeeperConnectionTimeout == 18_000)
        #expect(config.defaultReplicationFactor == 1)
        #expect(config.offsetsTopicNumPartitions == 50)
        #expect(config.logConfig.retentionBytes == -1)
        #expect(config.logConfig.flushMessages == Int64.max)
        #expect(config.offsetsStorage == "kafka")
    }

    @Test func overridesWinAndUnknownKeysWarn() throws {
        let (config, warnings) = try BrokerConfig.parse(
            properties: "zookeeper.connect=zk:2181\nbroker.id=1\nsome.future.setting=1\n",
            overrides: [("broker.id", "2"), ("offsets.storage", "zookeeper"), ("log.retention.ms", "1000")]
        )
        #expect(config.brokerID == 2)
        #expect(config.offsetsStorage == "zookeeper")
        #expect(config.logConfig.retentionMs == 1000)
        #expect(warnings == ["The configuration 'some.future.setting' was supplied but isn't a known config."])
    }

    @Test func invalidValuesNameTheirKey() {
        #expect(throws: BrokerConfig.Error(key: "num.partitions", reason: "'many' is not an integer of at least 1")) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\nnum.partitions=many\n")
        }
        #expect(throws: BrokerConfig.Error(key: "auto.create.topics.enable", reason: "'yes' is not true or false")) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\nauto.create.topics.enable=yes\n")
        }
        #expect(throws: BrokerConfig.Error.self) { _ = try BrokerConfig.parse(properties: "broker.id=1\n") }
        #expect(throws: BrokerConfig.Error(key: "offsets.storage", reason: "'disk' is not kafka or zookeeper")) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\noffsets.storage=disk\n")
        }
    }

    @Test func clusterLinksAreGroupedByNameAndNeedBootstrapServers() throws {
        let (config, warnings) = try BrokerConfig.parse(
            properties: """
                zookeeper.connect=zk:2181
                cluster.link.dc1.bootstrap.servers=a:9092,b:9092
                cluster.link.dc1.security.protocol=SASL_SSL
                cluster.link.dc2.bootstrap.servers=c:9092
                """
        )
        #expect(warnings.isEmpty)
        #expect(
            config.clusterLinks == [
                "dc1": ["bootstrap.servers": "a:9092,b:9092", "security.protocol": "SASL_SSL"],
                "dc2": ["bootstrap.servers": "c:9092"],
            ]
        )
        #expect(
            throws: BrokerConfig.Error(
                key: "cluster.link.dc3.bootstrap.servers",
                reason: "is required for cluster link dc3"
            )
        ) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\ncluster.link.dc3.client.id=x\n")
        }
        #expect(throws: BrokerConfig.Error.self) {
            _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\ncluster.link.dc4=x\n")
        }
        let mirror = try TopicConfig.apply(["mirror.link": "dc1"], to: LogConfig())
        #expect(mirror.mirrorLink == "dc1" && LogConfig().mirrorLink.isEmpty)
    }

    @Test func topicConfigOverridesAreValidated() throws {
        let config = try TopicConfig.apply(
            ["retention.ms": "1000", "cleanup.policy": "compact, delete"],
            to: LogConfig()
        )
        #expect(config.retentionMs == 1000)
        #expect(config.cleanupPolicy == .compactAndDelete)
        #expect(throws: TopicConfig.Invalid.self) {
            _ = try TopicConfig.apply(["retention.ms": "soon"], to: LogConfig())
        }
        #expect(throws: TopicConfig.Invalid.self) { _ = try TopicConfig.apply(["no.such.key": "1"], to: LogConfig()) }
    }

    @Test func effectiveValuesListEveryKeyAndParseBackToTheSameConfig() throws {
        let (config, _) = try BrokerConfig.parse(
            properties: """
                zookeeper.connect=zk:2181/kafka
                broker.id=7
                log.retention.hours=2
                log.segment.bytes=1048576
                min.insync.replicas=2
                metrics.port=9404
                offsets.storage=zookeeper
                log.cleanup.policy=compact,delete
                """
        )
        let effective = config.effectiveValues
        let keys = effective.map(\.key)
        #expect(keys == keys.sorted())
        // Every broker key of the table is printed, as Kafka prints each of its keys.
        #expect(Set(keys) == Set(ConfigTable.brokerKeys.keys))
        let shown = Dictionary(uniqueKeysWithValues: effective.map { ($0.key, $0.value) })
        // As Kafka: the key that was set is shown, the finer unset ones are null; the log uses the settled value.
        #expect(shown["log.retention.hours"] == "2")
        #expect(shown["log.retention.ms"] == "null")
        #expect(config.logConfig.retentionMs == 7_200_000)
        #expect(shown["broker.id"] == "7")
        #expect(shown["metrics.port"] == "9404")
        #expect(shown["log.cleanup.policy"] == "compact,delete")
        // Fed back as properties, the printed values make the same configuration.
        let text = effective.filter { $0.value != "null" }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        let (again, warnings) = try BrokerConfig.parse(properties: text)
        #expect(warnings.isEmpty)
        #expect(again.effectiveValues.map(\.value) == effective.map(\.value))
    }

    @Test func listenerPrefixedKeysAndHiddenPasswords() throws {
        let (config, warnings) = try BrokerConfig.parse(
            properties: """
                zookeeper.connect=zk:2181
                listeners=INTERNAL://:9092,EXTERNAL://:9093
                listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL
                sasl.enabled.mechanisms=SCRAM-SHA-256
                ssl.keystore.password=store-secret
                listener.name.external.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
                listener.name.EXTERNAL.ssl.client.auth=required
                listener.name.external.plain.sasl.jaas.config=PlainLoginModule required user_a="b";
                """
        )
        #expect(warnings.isEmpty)
        #expect(config.saslEnabledMechanisms == ["SCRAM-SHA-256"])
        #expect(config.forListener("EXTERNAL").saslEnabledMechanisms == ["SCRAM-SHA-512", "PLAIN"])
        #expect(config.forListener("EXTERNAL").sslClientAuth == "required")
        #expect(config.forListener("INTERNAL").sslClientAuth == "none")
        #expect(
            config.jaasConfig(listener: "EXTERNAL", mechanism: "PLAIN") == "PlainLoginModule required user_a=\"b\";"
        )
        #expect(config.jaasConfig(listener: "INTERNAL", mechanism: "PLAIN") == nil)
        // The password is kept for the TLS context, never shown.
        #expect(config.sslKeystorePassword == "store-secret")
        let shown = Dictionary(uniqueKeysWithValues: config.effectiveValues.map { ($0.key, $0.value) })
        #expect(shown["ssl.keystore.password"] == "[hidden]")
        #expect(shown["ssl.key.password"] == "null")
        #expect(ConfigTable.brokerKeys["ssl.keystore.password"]?.isSensitive == true)
        // A key that cannot be set per listener, a bad value, and a malformed prefix name their key.
        for (line, key) in [
            ("listener.name.external.log.retention.hours=1", "listener.name.external.log.retention.hours"),
            ("listener.name.external.ssl.client.auth=sometimes", "listener.name.external.ssl.client.auth"),
            ("listener.name.external=1", "listener.name.external"),
        ] {
            #expect(throws: BrokerConfig.Error.self, "\(line)") {
                try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\n\(line)")
            }
            do {
                _ = try BrokerConfig.parse(properties: "zookeeper.connect=zk:2181\n\(line)")
            } catch {
                #expect(error.key == key)
            }
        }
        #expect(throws: BrokerConfig.Error.self) {
            try BrokerConfig.parse(
                properties:
                    "zookeeper.connect=zk:2181\ninter.broker.listener.name=A\nsecurity.inter.broker.protocol=SSL"
            )
        }
    }
}
