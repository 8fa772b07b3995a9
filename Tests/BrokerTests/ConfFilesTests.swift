import Foundation
import KafkaCore
import Testing

@testable import KafkaServer

/// The files in `conf/` are what users copy: every broker file parses with no unknown key, the three-broker set
/// describes three distinct brokers of one replicated cluster, and the ZooKeeper ensemble files agree on their
/// members.
@Suite("conf/ files")
struct ConfFilesTests {
    private let conf = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("conf")

    private func read(_ name: String) throws -> String {
        try String(contentsOf: conf.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func brokerFilesParseWithoutWarnings() throws {
        for name in ["server.properties", "server-1.properties", "server-2.properties", "server-3.properties"] {
            let (_, warnings) = try BrokerConfig.parse(properties: try read(name))
            #expect(warnings.isEmpty, "\(name): \(warnings)")
        }
    }

    /// The secured three-broker example: SASL_SSL outside, PLAINTEXT between brokers, ACLs and ZooKeeper ACLs, its JAAS file's
    /// Client section where the broker reads it, and a client file the tools read.
    @Test func securedExampleIsComplete() throws {
        var ids: Set<Int32> = []
        var addresses: Set<String> = []
        for id in 1...3 {
            let (config, warnings) = try BrokerConfig.parse(properties: try read("secure/server-\(id).properties"))
            #expect(warnings.isEmpty, "\(warnings)")
            #expect(config.authorizerEnabled && config.zookeeperSetAcl)
            #expect(config.interBrokerListenerName == "INTERNAL")
            #expect(config.jaasConfig(listener: "EXTERNAL", mechanism: "PLAIN") != nil)
            #expect(config.defaultReplicationFactor == 3 && config.minInSyncReplicas == 2)
            ids.insert(config.brokerID)
            addresses.insert(config.advertisedListeners ?? "")
        }
        #expect(ids == [1, 2, 3] && addresses.count == 3)
        #expect(
            try ZooKeeperCredentials.credentials(inJaasFile: try read("secure/zookeeper_jaas.conf"), path: "j")
                == "kafka:change-me-zookeeper"
        )
        let client = Dictionary(
            JavaProperties.parse(try read("secure/client.properties")).map { ($0.key, $0.value) },
            uniquingKeysWith: { $1 }
        )
        #expect(client["security.protocol"] == "SASL_SSL" && client["sasl.mechanism"] == "SCRAM-SHA-512")
    }

    @Test func threeBrokerSetIsOneReplicatedCluster() throws {
        let configs = try (1...3).map { try BrokerConfig.parse(properties: try read("server-\($0).properties")).config }
        #expect(configs.map(\.brokerID) == [1, 2, 3])
        #expect(Set(configs.map(\.listeners)).count == 3)
        #expect(Set(configs.map(\.logDirs)).count == 3)
        #expect(Set(configs.map(\.metricsPort)).count == 3)
        #expect(Set(configs.map(\.zookeeperConnect)).count == 1)
        for config in configs {
            #expect(config.defaultReplicationFactor == 3)
            #expect(config.minInSyncReplicas == 2)
            #expect(config.offsetsTopicReplicationFactor == 3)
        }
    }

    @Test func ensembleMembersAgree() throws {
        var ports: Set<String> = []
        var memberLists: Set<[String]> = []
        for id in 1...3 {
            let entries = JavaProperties.parse(try read("zookeeper-ensemble/zoo\(id).cfg"))
            let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            ports.insert(values["clientPort"] ?? "")
            memberLists.insert(entries.filter { $0.key.hasPrefix("server.") }.map { "\($0.key)=\($0.value)" })
            #expect(values["dataDir"]?.hasSuffix("-\(id)") == true)
        }
        #expect(ports == ["2181", "2182", "2183"])
        #expect(memberLists.count == 1)
        #expect(memberLists.first?.count == 3)
        let standalone = JavaProperties.parse(try read("zookeeper.properties"))
        #expect(standalone.contains { $0.key == "clientPort" && $0.value == "2181" })
    }
}
