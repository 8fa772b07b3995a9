import Foundation
import KafkaCore
import Testing

@testable import KafkaServer

/// `config.providers` (KIP-421) as the broker reads server.properties: secrets named by file, not written in it.
@Suite("config providers")
struct ConfigProvidersTests {
    private func withSecrets(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "config-providers-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "plain.jaas=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin\\=\"s3cret\";\n"
            .write(toFile: directory + "/broker.properties", atomically: true, encoding: .utf8)
        try "key-pass".write(toFile: directory + "/ssl-key-password", atomically: true, encoding: .utf8)
        try body(directory)
    }

    @Test func fileAndDirectoryProvidersFillValuesAndLeaveNoWarnings() throws {
        try withSecrets { directory in
            let text = """
                zookeeper.connect=zk:2181
                config.providers=file,dir
                config.providers.file.class=\(ConfigProviders.fileProvider)
                config.providers.dir.class=\(ConfigProviders.directoryProvider)
                listener.name.external.plain.sasl.jaas.config=${file:\(directory)/broker.properties:plain.jaas}
                ssl.key.password=${dir:\(directory):ssl-key-password}
                ssl.keystore.location=${unknown:/x:y}/keystore.pem
                """
            let (config, warnings) = try BrokerConfig.parse(properties: text)
            #expect(warnings.isEmpty)
            #expect(
                config.listenerOverrides["listener.name.external.plain.sasl.jaas.config"]
                    == #"org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="s3cret";"#
            )
            #expect(config.sslKeyPassword == "key-pass")
            // A provider that is not configured leaves the variable as written, as Kafka does.
            #expect(config.sslKeystoreLocation == "${unknown:/x:y}/keystore.pem")
        }
    }

    @Test func aMissingFileOrKeyNamesTheConfigurationAndNotTheSecret() throws {
        try withSecrets { directory in
            let base = """
                zookeeper.connect=zk:2181
                config.providers=file
                config.providers.file.class=\(ConfigProviders.fileProvider)

                """
            #expect(
                throws: BrokerConfig.Error(
                    key: "ssl.key.password",
                    reason: "\(directory)/broker.properties has no key nope (FileConfigProvider)"
                )
            ) {
                try BrokerConfig.parse(
                    properties: base + "ssl.key.password=${file:\(directory)/broker.properties:nope}"
                )
            }
            #expect(
                throws: BrokerConfig.Error(
                    key: "ssl.key.password",
                    reason: "Could not read properties from file \(directory)/missing"
                )
            ) {
                try BrokerConfig.parse(properties: base + "ssl.key.password=${file:\(directory)/missing:k}")
            }
            #expect(
                throws: BrokerConfig.Error(
                    key: "config.providers.vault.class",
                    reason: "is required for the config provider vault"
                )
            ) {
                try BrokerConfig.parse(properties: base.replacingOccurrences(of: "=file\n", with: "=file,vault\n"))
            }
        }
    }
}
