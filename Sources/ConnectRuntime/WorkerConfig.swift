import Foundation
public import KafkaConnect
import KafkaCore

/// A Connect worker's properties (`conf/connect-standalone.properties`), Kafka 2.8's names and defaults: the
/// cluster (`bootstrap.servers`), the default converters (`key.converter`, `value.converter`, each with its own
/// `key.converter.*` settings), offsets (`offset.storage.file.filename`, `offset.flush.interval.ms`,
/// `offset.flush.timeout.ms`), the REST listener (`listeners`, or the older `rest.host.name` / `rest.port`, and
/// `rest.advertised.*`), and `producer.*` / `consumer.*` settings handed to the worker's clients. `plugin.path` is
/// accepted and ignored (the plugins are built in); other keys are reported as unknown, as Connect does.
public struct WorkerConfig: Sendable {
    public var bootstrapServers: [String] = ["localhost:9092"]
    public var keyConverter: String
    public var valueConverter: String
    public var keyConverterProperties: [String: String] = [:]
    public var valueConverterProperties: [String: String] = [:]
    public var headerConverter = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    public var offsetStorageFile: String?
    public var offsetFlushIntervalMs: Int64 = 60_000
    public var offsetFlushTimeoutMs: Int64 = 5_000
    public var restHost = ""
    public var restPort = 8083
    public var advertisedHost: String?
    public var advertisedPort: Int?
    public var taskShutdownTimeoutMs: Int64 = 5_000
    /// `producer.*` and `consumer.*` settings without their prefixes.
    public var producerProperties: [String: String] = [:]
    public var consumerProperties: [String: String] = [:]
    /// A distributed worker's group and internal topics; nil for a standalone worker.
    public var distributed: DistributedConfig?

    /// The worker's id in statuses: the advertised REST host and port.
    public var workerID: String {
        let host = advertisedHost ?? (restHost.isEmpty ? Self.hostName : restHost)
        return "\(host):\(advertisedPort ?? restPort)"
    }

    static var hostName: String { ProcessInfo.processInfo.hostName }

    /// Worker keys Connect defines that this worker reads elsewhere or accepts without acting on.
    static let accepted: Set<String> = [
        "plugin.path", "client.id", "metrics.recording.level", "metrics.num.samples", "metrics.sample.window.ms",
        "config.providers", "connector.client.config.override.policy", "access.control.allow.origin",
        "access.control.allow.methods", "admin.listeners", "rest.extension.classes", "response.http.headers.config",
        "internal.key.converter", "internal.value.converter",
    ]

    /// The configuration of a properties text with `overrides` after it, and the warnings for keys that are
    /// unknown or accepted without effect.
    public static func parse(
        properties text: String,
        overrides: [(String, String)] = [],
        distributed: Bool = false
    ) throws(ConnectConfigError) -> (WorkerConfig, [String]) {
        var values: [String: String] = [:]
        for (key, value) in JavaProperties.parse(text).map({ ($0.key, $0.value) }) + overrides { values[key] = value }
        guard let keyConverter = values["key.converter"] else {
            throw ConnectConfigError(
                "Missing required configuration \"key.converter\" which has no default value."
            )
        }
        guard let valueConverter = values["value.converter"] else {
            throw ConnectConfigError(
                "Missing required configuration \"value.converter\" which has no default value."
            )
        }
        var config = WorkerConfig(keyConverter: keyConverter, valueConverter: valueConverter)
        var warnings: [String] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix("key.converter.") {
                config.keyConverterProperties[String(key.dropFirst("key.converter.".count))] = value
                continue
            }
            if key.hasPrefix("value.converter.") {
                config.valueConverterProperties[String(key.dropFirst("value.converter.".count))] = value
                continue
            }
            if key.hasPrefix("producer.") {
                config.producerProperties[String(key.dropFirst("producer.".count))] = value
                continue
            }
            if key.hasPrefix("consumer.") {
                config.consumerProperties[String(key.dropFirst("consumer.".count))] = value
                continue
            }
            switch key {
            case "key.converter", "value.converter": break
            case "bootstrap.servers":
                config.bootstrapServers = value.split(separator: ",").map {
                    let server = $0.trimmingCharacters(in: .whitespaces)
                    return server.range(of: "://").map { String(server[$0.upperBound...]) } ?? server
                }
            case "header.converter": config.headerConverter = value
            case "offset.storage.file.filename": config.offsetStorageFile = value
            case "offset.flush.interval.ms": config.offsetFlushIntervalMs = try positive(key, value)
            case "offset.flush.timeout.ms": config.offsetFlushTimeoutMs = try positive(key, value)
            case "listeners":
                guard let listener = value.split(separator: ",").first.map(String.init),
                    let url = URLComponents(string: listener.trimmingCharacters(in: .whitespaces)),
                    url.scheme == "http"
                else {
                    throw ConnectConfigError("Invalid value \(value) for configuration listeners: not an http:// URL")
                }
                config.restHost = url.host ?? ""
                config.restPort = url.port ?? 8083
            case "rest.host.name": config.restHost = value
            case "rest.port": config.restPort = Int(try positive(key, value))
            case "rest.advertised.host.name": config.advertisedHost = value
            case "rest.advertised.port": config.advertisedPort = Int(try positive(key, value))
            case "rest.advertised.listener": break
            case "task.shutdown.graceful.timeout.ms": config.taskShutdownTimeoutMs = try positive(key, value)
            case "plugin.path": warnings.append("plugin.path is ignored: the connectors and converters are built in")
            case _ where distributed && DistributedConfig.keys.contains(key): break
            case _ where accepted.contains(key): warnings.append("\(key) is accepted but not acted on")
            default: warnings.append("The configuration '\(key)' was supplied but isn't a known config.")
            }
        }
        if distributed {
            config.distributed = try DistributedConfig(values)
            return (config, warnings)
        }
        guard config.offsetStorageFile != nil else {
            throw ConnectConfigError(
                "Missing required configuration \"offset.storage.file.filename\" which has no default value."
            )
        }
        return (config, warnings)
    }

    static func positive(_ key: String, _ value: String) throws(ConnectConfigError) -> Int64 {
        guard let number = Int64(value), number > 0 else {
            throw ConnectConfigError("Invalid value \(value) for configuration \(key): not a positive number")
        }
        return number
    }
}
