import Testing

@testable import KafkaServer

/// Where the broker finds its ZooKeeper identity: the JAAS file's `Client` section, as Kafka reads it.
@Suite struct ZooKeeperCredentialsTests {
    @Test func theClientSectionOfAKafkaJaasFile() throws {
        let jaas = """
            KafkaServer {
              org.apache.kafka.common.security.plain.PlainLoginModule required
              username="admin" password="admin-secret";
            };
            // ZooKeeper
            Client {
              org.apache.zookeeper.server.auth.DigestLoginModule required
              username="kafka"
              password="zk-secret";
            };
            """
        #expect(try ZooKeeperCredentials.credentials(inJaasFile: jaas, path: "jaas.conf") == "kafka:zk-secret")
    }

    @Test func missingOrIncompleteSectionsAreNamed() throws {
        #expect(throws: ZooKeeperCredentials.Invalid.self) {
            try ZooKeeperCredentials.credentials(
                inJaasFile: "KafkaServer { a.B required username=\"x\" password=\"y\"; };",
                path: "j"
            )
        }
        #expect(throws: ZooKeeperCredentials.Invalid.self) {
            try ZooKeeperCredentials.credentials(inJaasFile: "Client { a.B required username=\"x\"; };", path: "j")
        }
        // KafkaClient is not Client.
        #expect(throws: ZooKeeperCredentials.Invalid.self) {
            try ZooKeeperCredentials.credentials(
                inJaasFile: "KafkaClient { a.B required username=\"x\" password=\"y\"; };",
                path: "j"
            )
        }
        #expect(try ZooKeeperCredentials.fromEnvironment([:]) == nil)
        #expect(try ZooKeeperCredentials.fromEnvironment(["KAFKA_OPTS": "-Xmx1G"]) == nil)
        #expect(throws: ZooKeeperCredentials.Invalid.self) {
            try ZooKeeperCredentials.fromEnvironment(["KAFKA_OPTS": "-Djava.security.auth.login.config=/nonexistent"])
        }
    }
}
