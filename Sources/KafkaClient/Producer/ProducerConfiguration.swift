public import KafkaCore
public import KafkaProtocol

/// A producer's settings by the Java client's property names (`ProducerConfig`), with its defaults as of Kafka 3.0,
/// where idempotence became the default: `acks=all`, `enable.idempotence=true`. Unknown keys are refused.
public struct ProducerConfiguration: PropertyConfigurable {
    /// The settings every client shares (`bootstrap.servers`, `client.id`, ...).
    public var client = ClientConfiguration()
    /// `acks`: how many replicas must have a batch before it counts as written: 0 (none, no answer), 1 (the
    /// leader), all (every in-sync replica).
    public var acks = ProducerAcks.all
    /// `linger.ms`: how long a batch waits for more records before it is sent.
    public var lingerMs: Int64 = 0
    /// `batch.size`: a batch is sent once its records reach this size.
    public var batchSize: Int32 = 16_384
    /// `buffer.memory`: records waiting to be sent may use this much; `send` waits for room beyond it.
    public var bufferMemory: Int64 = 33_554_432
    /// `compression.type`: none, gzip, snappy, lz4 or zstd.
    public var compressionType = CompressionCodec.none
    /// `enable.idempotence`: a producer id and sequence numbers, so retries never duplicate or reorder.
    public var enableIdempotence = true
    /// `max.in.flight.requests.per.connection`: unanswered requests per broker (at most 5 with idempotence).
    public var maxInFlightRequestsPerConnection: Int32 = 5
    /// `retries`: how often a failed batch is sent again (bounded by `delivery.timeout.ms` too).
    public var retries = Int32.max
    /// `delivery.timeout.ms`: the longest a record may take from `send` to its acknowledgement or failure.
    public var deliveryTimeoutMs: Int32 = 120_000
    /// `max.request.size`: the largest record batch (and request) the producer makes.
    public var maxRequestSize: Int32 = 1_048_576
    /// `max.block.ms`: how long `send` may wait for metadata or for room in the buffer.
    public var maxBlockMs: Int64 = 60_000

    public init() {}

    /// The configuration `properties` give. As in the Java client since Kafka 3.0, idempotence that was not asked
    /// for explicitly is turned off when other keys conflict with it (acks other than all, more than five
    /// requests in flight), instead of refusing them.
    public init(properties: [String: String]) throws(ConfigError) {
        self.init()
        try apply(properties)
        if properties["enable.idempotence"] == nil, acks != .all || maxInFlightRequestsPerConnection > 5 {
            enableIdempotence = false
        }
    }

    public static let properties: [ConfigProperty<ProducerConfiguration>] =
        ClientConfiguration.properties.map { $0.lifted(\ProducerConfiguration.client) } + [
            .key("acks", \.acks, "0, 1 or all (-1): the replicas that must have a batch before it is acknowledged."),
            .key("linger.ms", \.lingerMs, .atLeast(0), "How long a batch waits for more records."),
            .key("batch.size", \.batchSize, .atLeast(0), "A batch is sent once it reaches this size."),
            .key("buffer.memory", \.bufferMemory, .atLeast(0), "The memory for records waiting to be sent."),
            .key("compression.type", \.compressionType, "none, gzip, snappy, lz4 or zstd."),
            .key("enable.idempotence", \.enableIdempotence, "Retries never duplicate or reorder records."),
            .key(
                "max.in.flight.requests.per.connection",
                \.maxInFlightRequestsPerConnection,
                .atLeast(1),
                "Unanswered requests per broker."
            ),
            .key("retries", \.retries, .atLeast(0), "How often a failed batch is sent again."),
            .key("delivery.timeout.ms", \.deliveryTimeoutMs, .atLeast(0), "The longest a record may take to deliver."),
            .key("max.request.size", \.maxRequestSize, .atLeast(0), "The largest batch and request."),
            .key("max.block.ms", \.maxBlockMs, .atLeast(0), "How long send may wait for metadata or buffer room."),
        ]

    /// The rules between keys (Kafka's `ProducerConfig.postProcessParsedConfig`).
    public func validated() throws(ConfigError) -> ProducerConfiguration {
        _ = try client.bootstrapAddresses()
        if enableIdempotence {
            guard acks == .all else {
                throw ConfigError(key: "acks", reason: "must be all (-1) with enable.idempotence=true")
            }
            guard maxInFlightRequestsPerConnection <= 5 else {
                throw ConfigError(
                    key: "max.in.flight.requests.per.connection",
                    reason: "must be at most 5 with enable.idempotence=true"
                )
            }
            guard retries > 0 else { throw ConfigError(key: "retries", reason: "must be above 0 with idempotence") }
        }
        return self
    }
}

/// `acks`: what a produce request waits for.
public enum ProducerAcks: Int16, ConfigValue {
    case none = 0
    case leader = 1
    case all = -1

    public static var kafkaType: String { "string" }
    public static var expectation: String { "0, 1, -1 or all" }

    public init?(configText: String) {
        switch configText {
        case "all", "-1": self = .all
        case "1": self = .leader
        case "0": self = .none
        default: return nil
        }
    }

    public var configText: String { self == .all ? "all" : "\(rawValue)" }
}

extension CompressionCodec: ConfigValue {
    public static var kafkaType: String { "string" }
    public static var expectation: String { "none, gzip, snappy, lz4 or zstd" }

    public init?(configText: String) {
        guard let codec = Self.allCases.first(where: { $0.description == configText }) else { return nil }
        self = codec
    }

    public var configText: String { description }
}
