import KafkaCore
import KafkaProtocol
import Testing

@testable import KafkaClient

/// The producer is configured by the Java client's property names: its defaults, unknown keys refused, values
/// checked, and the rules between keys.
@Suite("Producer configuration")
struct ProducerConfigurationTests {
    @Test func javaNamesAndDefaults() throws {
        let configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "a:9092, b:9093",
            "linger.ms": "5",
            "compression.type": "zstd",
            "acks": "-1",
        ])
        #expect(
            try configuration.client.bootstrapAddresses() == [
                BrokerAddress(host: "a", port: 9092), BrokerAddress(host: "b", port: 9093),
            ]
        )
        #expect(configuration.lingerMs == 5)
        #expect(configuration.compressionType == .zstd)
        #expect(configuration.acks == .all)
        // The Java client's defaults where nothing is said (Kafka 3.0+: idempotence on, acks=all).
        #expect(configuration.batchSize == 16_384)
        #expect(configuration.bufferMemory == 33_554_432)
        #expect(configuration.enableIdempotence)
        #expect(configuration.maxInFlightRequestsPerConnection == 5)
        #expect(configuration.deliveryTimeoutMs == 120_000)
        #expect(configuration.client.requestTimeoutMs == 30_000)
        let values = Dictionary(uniqueKeysWithValues: configuration.values.map { ($0.key, $0.value) })
        #expect(values["acks"] == "all")
        #expect(values["compression.type"] == "zstd")
        #expect(values["bootstrap.servers"] == "a:9092,b:9093")
    }

    @Test func unknownKeysAndBadValuesAreRefusedByName() {
        #expect(throws: ConfigError(key: "linger.msec", reason: "unknown configuration key")) {
            _ = try ProducerConfiguration(properties: ["linger.msec": "5"])
        }
        #expect(throws: ConfigError(key: "acks", reason: "'2' is not 0, 1, -1 or all")) {
            _ = try ProducerConfiguration(properties: ["acks": "2"])
        }
        #expect(throws: ConfigError(key: "batch.size", reason: "'-1' is not an integer of at least 0")) {
            _ = try ProducerConfiguration(properties: ["batch.size": "-1"])
        }
        #expect(throws: ConfigError(key: "compression.type", reason: "'brotli' is not none, gzip, snappy, lz4 or zstd"))
        {
            _ = try ProducerConfiguration(properties: ["compression.type": "brotli"])
        }
    }

    @Test func idempotenceNeedsAcksAllAndFewInFlight() throws {
        var configuration = ProducerConfiguration()
        configuration.client.bootstrapServers = ["127.0.0.1:9092"]
        configuration.acks = .leader
        #expect(throws: ConfigError.self) { _ = try configuration.validated() }
        configuration.enableIdempotence = false
        #expect(try configuration.validated().acks == .leader)
        configuration.enableIdempotence = true
        configuration.acks = .all
        configuration.maxInFlightRequestsPerConnection = 6
        #expect(throws: ConfigError.self) { _ = try configuration.validated() }
        configuration.client.bootstrapServers = []
        configuration.maxInFlightRequestsPerConnection = 5
        #expect(throws: ConfigError(key: "bootstrap.servers", reason: "is required")) {
            _ = try configuration.validated()
        }
    }

    @Test func idempotenceNotAskedForGivesWayToConflictingKeys() throws {
        let base = ["bootstrap.servers": "127.0.0.1:9092"]
        let leaderAcks = try ProducerConfiguration(properties: base.merging(["acks": "1"]) { $1 })
        #expect(!leaderAcks.enableIdempotence)
        #expect(try leaderAcks.validated().acks == .leader)
        let manyInFlight = try ProducerConfiguration(
            properties: base.merging(["max.in.flight.requests.per.connection": "10"]) { $1 }
        )
        #expect(!manyInFlight.enableIdempotence)
        // Asked for explicitly, the conflict is refused.
        let explicit = try ProducerConfiguration(
            properties: base.merging(["acks": "1", "enable.idempotence": "true"]) { $1 }
        )
        #expect(throws: ConfigError.self) { _ = try explicit.validated() }
    }
}
