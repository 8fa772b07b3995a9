import KafkaConnect

/// A distributed worker's own keys (`conf/connect-distributed.properties`), Kafka 2.8's names and defaults: the
/// group (`group.id`, `session.timeout.ms`, `heartbeat.interval.ms`, `rebalance.timeout.ms`), the three internal
/// topics with their replication factors and partition counts, and the rebalance protocol: `connect.protocol`
/// `eager` (Connect's `default` protocol), `compatible` (incremental cooperative, KIP-415, with
/// `scheduled.rebalance.max.delay.ms`) or `sessioned`, 2.8's default (`compatible` with internal requests signed
/// by a session key, KIP-507: `inter.worker.key.generation.algorithm`, `inter.worker.key.size`,
/// `inter.worker.key.ttl.ms`, `inter.worker.signature.algorithm`, `inter.worker.verification.algorithms`).
public struct DistributedConfig: Sendable {
    public var groupID: String
    public var configTopic: String
    public var offsetTopic: String
    public var statusTopic: String
    public var configReplicationFactor: Int16 = 3
    public var offsetReplicationFactor: Int16 = 3
    public var statusReplicationFactor: Int16 = 3
    public var offsetPartitions: Int32 = 25
    public var statusPartitions: Int32 = 5
    public var sessionTimeoutMs: Int32 = 10_000
    public var heartbeatIntervalMs: Int32 = 3_000
    public var rebalanceTimeoutMs: Int32 = 60_000
    public var connectProtocol = "sessioned"
    public var scheduledRebalanceMaxDelayMs: Int32 = 300_000
    public var keyGenerationAlgorithm = "HmacSHA256"
    public var keySizeBits = 256
    public var keyTTLMs: Int64 = 3_600_000
    public var signatureAlgorithm = "HmacSHA256"
    public var verificationAlgorithms = ["HmacSHA256"]

    /// The keys this struct reads (the worker does not report them as unknown).
    static let keys: Set<String> = [
        "group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic",
        "config.storage.replication.factor", "offset.storage.replication.factor", "status.storage.replication.factor",
        "offset.storage.partitions", "status.storage.partitions", "session.timeout.ms", "heartbeat.interval.ms",
        "rebalance.timeout.ms", "connect.protocol", "scheduled.rebalance.max.delay.ms", "worker.sync.timeout.ms",
        "worker.unsync.backoff.ms", "inter.worker.key.generation.algorithm", "inter.worker.key.size",
        "inter.worker.key.ttl.ms", "inter.worker.signature.algorithm", "inter.worker.verification.algorithms",
    ]

    init(_ values: [String: String]) throws(ConnectConfigError) {
        func required(_ key: String) throws(ConnectConfigError) -> String {
            guard let value = values[key], !value.isEmpty else {
                throw ConnectConfigError("Missing required configuration \"\(key)\" which has no default value.")
            }
            return value
        }
        func number<N: FixedWidthInteger>(
            _ key: String,
            _ fallback: N,
            allowMinusOne: Bool = false
        )
            throws(ConnectConfigError) -> N
        {
            guard let text = values[key] else { return fallback }
            guard let value = N(text), value > 0 || (allowMinusOne && value == -1) else {
                throw ConnectConfigError("Invalid value \(text) for configuration \(key)")
            }
            return value
        }
        groupID = try required("group.id")
        configTopic = try required("config.storage.topic")
        offsetTopic = try required("offset.storage.topic")
        statusTopic = try required("status.storage.topic")
        // -1: the broker's default.replication.factor (KIP-464), as Connect 2.8 allows.
        configReplicationFactor = try number("config.storage.replication.factor", 3, allowMinusOne: true)
        offsetReplicationFactor = try number("offset.storage.replication.factor", 3, allowMinusOne: true)
        statusReplicationFactor = try number("status.storage.replication.factor", 3, allowMinusOne: true)
        offsetPartitions = try number("offset.storage.partitions", 25, allowMinusOne: true)
        statusPartitions = try number("status.storage.partitions", 5, allowMinusOne: true)
        sessionTimeoutMs = try number("session.timeout.ms", 10_000)
        heartbeatIntervalMs = try number("heartbeat.interval.ms", 3_000)
        rebalanceTimeoutMs = try number("rebalance.timeout.ms", 60_000)
        connectProtocol = values["connect.protocol"] ?? "sessioned"
        if let text = values["scheduled.rebalance.max.delay.ms"] {
            guard let delay = Int32(text), delay >= 0 else {
                throw ConnectConfigError("Invalid value \(text) for configuration scheduled.rebalance.max.delay.ms")
            }
            scheduledRebalanceMaxDelayMs = delay
        }
        guard ["eager", "compatible", "sessioned"].contains(connectProtocol) else {
            throw ConnectConfigError(
                "Invalid value \(connectProtocol) for configuration connect.protocol: String must be one of: eager, compatible, sessioned"
            )
        }
        try readSessionKeySettings(values)
        guard heartbeatIntervalMs < sessionTimeoutMs else {
            throw ConnectConfigError("heartbeat.interval.ms must be lower than session.timeout.ms")
        }
    }

    /// KIP-507's keys: the algorithms must be ones this worker has, and the signature algorithm one it verifies.
    private mutating func readSessionKeySettings(_ values: [String: String]) throws(ConnectConfigError) {
        func algorithm(_ key: String, _ value: String) throws(ConnectConfigError) -> String {
            guard SessionKey.algorithms.contains(value) else {
                throw ConnectConfigError(
                    "Invalid value \(value) for configuration \(key): Not a valid MAC algorithm (\(SessionKey.algorithms.joined(separator: ", ")))"
                )
            }
            return value
        }
        keyGenerationAlgorithm = try algorithm(
            "inter.worker.key.generation.algorithm",
            values["inter.worker.key.generation.algorithm"] ?? keyGenerationAlgorithm
        )
        signatureAlgorithm = try algorithm(
            "inter.worker.signature.algorithm",
            values["inter.worker.signature.algorithm"] ?? signatureAlgorithm
        )
        if let list = values["inter.worker.verification.algorithms"] {
            verificationAlgorithms = []
            for name in list.split(separator: ",") {
                verificationAlgorithms.append(
                    try algorithm("inter.worker.verification.algorithms", name.trimmingCharacters(in: .whitespaces))
                )
            }
        }
        guard verificationAlgorithms.contains(signatureAlgorithm) else {
            throw ConnectConfigError(
                "Signature algorithm '\(signatureAlgorithm)' must be present in inter.worker.verification.algorithms list."
            )
        }
        if let text = values["inter.worker.key.size"] {
            guard let bits = Int(text), bits >= 64, bits <= 4096, bits % 8 == 0 else {
                throw ConnectConfigError("Invalid value \(text) for configuration inter.worker.key.size")
            }
            keySizeBits = bits
        }
        if let text = values["inter.worker.key.ttl.ms"] {
            guard let ttl = Int64(text), ttl >= 0 else {
                throw ConnectConfigError("Invalid value \(text) for configuration inter.worker.key.ttl.ms")
            }
            keyTTLMs = ttl
        }
    }
}
