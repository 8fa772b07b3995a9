import Foundation
import KafkaCore
public import SchemaRegistry

/// `conf/schema-registry.properties`: Confluent Schema Registry 6.2's keys this server acts on, with its
/// defaults. Other Confluent keys are accepted and reported as not acted on; anything else is refused.
public struct SchemaRegistryConfig: Sendable, Equatable {
    /// `listeners`: the first one's host and port are served.
    public var listeners = "http://0.0.0.0:8081"
    /// `host.name`: the name this instance gives itself.
    public var hostName = "localhost"
    /// `kafkastore.bootstrap.servers` (`PLAINTEXT://` prefixes allowed).
    public var bootstrapServers: [String] = []
    public var topic = "_schemas"
    public var replicationFactor: Int16 = 3
    public var compatibility = CompatibilityLevel.backward
    /// `mode.mutability`: whether `/mode` may be changed (Confluent 6.2: false).
    public var modeMutability = false
    public var timeoutMs: Int64 = 500
    /// `kafkastore.connection.url`: ZooKeeper, for Confluent's ZooKeeper mode (leader election, id ranges);
    /// nil: this instance writes alone.
    public var zookeeperConnect: String?
    /// `schema.registry.zk.namespace`: the znode under which the leader and the id counter are kept.
    public var zookeeperNamespace = "schema_registry"

    public init() {}

    /// Confluent keys that are accepted, not acted on.
    static let accepted: Set<String> = [
        "schema.registry.group.id", "kafkastore.security.protocol", "debug",
        "kafkastore.init.timeout.ms", "master.eligibility", "leader.eligibility", "inter.instance.protocol",
        "schema.registry.inter.instance.protocol", "access.control.allow.methods", "access.control.allow.origin",
        "metrics.jmx.prefix", "response.mediatype.default", "response.mediatype.preferred", "kafkastore.group.id",
    ]

    /// The configuration of a Java properties text (`JavaProperties`, as the broker's) with `overrides` applied after;
    /// also the warnings for keys accepted but not acted on.
    public static func parse(
        properties text: String,
        overrides: [(String, String)] = []
    ) throws(ConfigurationError) -> (SchemaRegistryConfig, [String]) {
        let pairs = JavaProperties.parse(text).map { ($0.key, $0.value) }
        var config = SchemaRegistryConfig()
        var warnings: [String] = []
        for (key, value) in pairs + overrides {
            switch key {
            case "listeners": config.listeners = value
            case "host.name": config.hostName = value
            case "kafkastore.bootstrap.servers":
                config.bootstrapServers = value.split(separator: ",").map { server in
                    let text = server.trimmingCharacters(in: .whitespaces)
                    return text.range(of: "://").map { String(text[$0.upperBound...]) } ?? text
                }
            case "kafkastore.topic": config.topic = value
            case "kafkastore.topic.replication.factor":
                guard let factor = Int16(value), factor >= 1 else {
                    throw ConfigurationError("\(key)=\(value): not a positive number")
                }
                config.replicationFactor = factor
            case "schema.compatibility.level", "avro.compatibility.level":
                guard let level = CompatibilityLevel(name: value) else {
                    throw ConfigurationError("\(key)=\(value): not a compatibility level")
                }
                config.compatibility = level
            case "mode.mutability":
                guard let flag = Bool(value.lowercased()) else {
                    throw ConfigurationError("\(key)=\(value): not true or false")
                }
                config.modeMutability = flag
            case "kafkastore.connection.url": config.zookeeperConnect = value.isEmpty ? nil : value
            case "schema.registry.zk.namespace": config.zookeeperNamespace = value
            case "kafkastore.timeout.ms":
                guard let timeout = Int64(value), timeout > 0 else {
                    throw ConfigurationError("\(key)=\(value): not a positive number")
                }
                config.timeoutMs = timeout
            case _ where accepted.contains(key):
                warnings.append("\(key) is accepted but not acted on")
            default:
                throw ConfigurationError("unknown configuration key \(key)")
            }
        }
        guard !config.bootstrapServers.isEmpty else {
            throw ConfigurationError("kafkastore.bootstrap.servers is required")
        }
        _ = try config.listener()
        return (config, warnings)
    }

    /// The host and port of the first listener (`http://host:port`).
    public func listener() throws(ConfigurationError) -> (host: String, port: Int) {
        let first = listeners.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard first.hasPrefix("http://"), let colon = first.lastIndex(of: ":"),
            let port = Int(first[first.index(after: colon)...]), port > 0, port < 65536
        else { throw ConfigurationError("listeners=\(listeners): expected http://host:port (https is not served)") }
        let host = String(first[first.index(first.startIndex, offsetBy: 7)..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
