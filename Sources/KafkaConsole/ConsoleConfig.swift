public import KafkaCore

/// `conf/console.properties`: every key `swiftkafka-console` reads, with its default, in one table (`keys`). Client
/// security keys (`security.protocol`, `sasl.*`, `ssl.*`) and `request.timeout.ms` go to the console's Kafka
/// clients unchanged; any other key is refused, so a misspelt one is noticed.
public struct ConsoleConfig: Sendable, Equatable {
    /// `listeners`: the first one's host and port are served (`http://host:port`).
    public var listeners = "http://0.0.0.0:9021"
    /// `bootstrap.servers` (`PLAINTEXT://` prefixes allowed).
    public var bootstrapServers: [String] = []
    /// `zookeeper.connect`: the cluster's ZooKeeper (chroot included). With it the console shows the controller
    /// epoch, the invariants, groups whose offsets live in ZooKeeper, and the ZooKeeper tree.
    public var zookeeperConnect: String?
    /// `schema.registry.url` and `connect.url`: other services, linked from the navigation.
    public var schemaRegistryURL: String?
    public var connectURL: String?
    /// `console.read.only`: no action is offered and every change is refused (true until an operator says otherwise).
    public var readOnly = true
    /// `console.users`: `name:role:sha256-hex-of-password`, comma-separated (AKHQ's basic-auth form); empty: no
    /// login, everyone acts as `admin` (for local use).
    public var users: [ConsoleUser] = []
    /// `console.session.timeout.ms`: how long a login lasts without a request.
    public var sessionTimeoutMs: Int64 = 8 * 3_600_000
    /// `console.message.scan.max.records` and `console.message.scan.max.ms`: the budget of one message search.
    public var scanMaxRecords = 100_000
    public var scanMaxMs: Int64 = 5_000
    /// `console.data.dir`: where the history (lag, broker metrics, the timeline) is kept in SQLite; empty: in
    /// memory only.
    public var dataDirectory: String? = "/tmp/swiftkafka-console"
    /// `console.sample.interval.ms`: how often the history is sampled.
    public var sampleIntervalMs: Int64 = 30_000
    /// `console.live.interval.ms`: how often the overview's live updates (server-sent events) are sent.
    public var liveIntervalMs: Int64 = 5_000
    /// `console.history.retention.ms`: how long samples and events are kept (7 days).
    public var historyRetentionMs: Int64 = 7 * 24 * 3_600_000
    /// `console.broker.metrics.urls`: `id=url` pairs, comma-separated, of the brokers' Prometheus endpoints; a
    /// broker not named is asked for its `metrics.port` (DescribeConfigs) and scraped on its host there.
    public var brokerMetricsURLs: [Int32: String] = [:]
    /// The Kafka client settings passed through (security, timeouts).
    public var clientProperties: [String: String] = [:]

    public init() {}

    /// The keys and what each does, as `--help` and the README list them.
    public static let keys: [(key: String, meaning: String)] = [
        ("listeners", "where the console serves HTTP (default http://0.0.0.0:9021)"),
        ("bootstrap.servers", "the cluster's brokers (required)"),
        ("zookeeper.connect", "the cluster's ZooKeeper, for epochs, invariants, ZooKeeper groups and the tree"),
        ("schema.registry.url", "a schema registry, linked from the navigation"),
        ("connect.url", "a Connect worker, linked from the navigation"),
        ("console.read.only", "true: no action offered, every change refused (default true)"),
        ("console.users", "name:role:sha256-hex, comma-separated; roles viewer, operator, admin; empty: no login"),
        ("console.session.timeout.ms", "idle time before a login ends (default 28800000)"),
        ("console.message.scan.max.records", "records one message search reads at most (default 100000)"),
        ("console.message.scan.max.ms", "time one message search takes at most (default 5000)"),
        (
            "console.data.dir",
            "where lag, broker metrics and the timeline are kept (SQLite; default /tmp/swiftkafka-console)"
        ),
        ("console.sample.interval.ms", "how often lag, metrics and the cluster's changes are sampled (default 30000)"),
        ("console.history.retention.ms", "how long the history is kept (default 604800000, 7 days)"),
        ("console.live.interval.ms", "how often an open overview is updated live (server-sent events; default 5000)"),
        (
            "console.broker.metrics.urls",
            "id=http://host:port/metrics, comma-separated; default: each broker's metrics.port"
        ),
    ]

    /// The configuration of a Java properties text with `overrides` applied after.
    public static func parse(
        properties text: String,
        overrides: [(String, String)] = []
    ) throws(ConsoleConfigError) -> ConsoleConfig {
        var config = ConsoleConfig()
        for (key, value) in JavaProperties.parse(text).map({ ($0.key, $0.value) }) + overrides {
            try config.set(key, value)
        }
        guard !config.bootstrapServers.isEmpty else { throw ConsoleConfigError("bootstrap.servers is required") }
        _ = try config.listener()
        return config
    }

    mutating func set(_ key: String, _ value: String) throws(ConsoleConfigError) {
        switch key {
        case "listeners": listeners = value
        case "bootstrap.servers":
            bootstrapServers = value.split(separator: ",").map { server in
                let text = server.trimmingCharacters(in: .whitespaces)
                return text.range(of: "://").map { String(text[$0.upperBound...]) } ?? text
            }
        case "zookeeper.connect": zookeeperConnect = value.isEmpty ? nil : value
        case "schema.registry.url": schemaRegistryURL = value.isEmpty ? nil : value
        case "connect.url": connectURL = value.isEmpty ? nil : value
        case "console.read.only":
            guard let flag = Bool(value.lowercased()) else {
                throw ConsoleConfigError("\(key)=\(value): not a boolean")
            }
            readOnly = flag
        case "console.users":
            users = try value.split(separator: ",").map { entry throws(ConsoleConfigError) in
                try ConsoleUser(entry.trimmingCharacters(in: .whitespaces))
            }
        case "console.session.timeout.ms": sessionTimeoutMs = try Self.positive(key, value)
        case "console.message.scan.max.records": scanMaxRecords = Int(try Self.positive(key, value))
        case "console.message.scan.max.ms": scanMaxMs = try Self.positive(key, value)
        case "console.data.dir": dataDirectory = value.isEmpty ? nil : value
        case "console.sample.interval.ms": sampleIntervalMs = try Self.positive(key, value)
        case "console.history.retention.ms": historyRetentionMs = try Self.positive(key, value)
        case "console.live.interval.ms": liveIntervalMs = try Self.positive(key, value)
        case "console.broker.metrics.urls":
            brokerMetricsURLs = [:]
            for entry in value.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let id = Int32(parts[0]), parts[1].hasPrefix("http") else {
                    throw ConsoleConfigError("\(key): '\(entry)' is not id=http://host:port/metrics")
                }
                brokerMetricsURLs[id] = parts[1]
            }
        case "request.timeout.ms", "security.protocol":
            clientProperties[key] = value
        case _ where key.hasPrefix("sasl.") || key.hasPrefix("ssl."):
            clientProperties[key] = value
        default:
            throw ConsoleConfigError("\(key): not a console key (see swiftkafka-console --help)")
        }
    }

    static func positive(_ key: String, _ value: String) throws(ConsoleConfigError) -> Int64 {
        guard let number = Int64(value), number > 0 else { throw ConsoleConfigError("\(key)=\(value): not positive") }
        return number
    }

    /// The host and port of the first listener.
    public func listener() throws(ConsoleConfigError) -> (host: String, port: Int) {
        let first = listeners.split(separator: ",").first.map(String.init) ?? ""
        let address = first.range(of: "://").map { String(first[$0.upperBound...]) } ?? first
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw ConsoleConfigError("listeners=\(listeners): not http://host:port") }
        let host = String(address[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// The properties of the console's Kafka clients.
    public var kafkaProperties: [String: String] {
        clientProperties.merging(
            ["bootstrap.servers": bootstrapServers.joined(separator: ","), "client.id": "swiftkafka-console"]
        ) { _, new in new }
    }
}

public struct ConsoleConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
