import KafkaCore
public import KafkaStorage

/// The broker's configuration: `server.properties` with Kafka 2.8's key names and defaults, plus `--override`s.
/// Each property's initial value is Kafka's default; the keys, their validation and documentation are the rows of
/// `ConfigTable`, which parse into these properties.
///
/// An unknown key is a warning (Kafka logs "was supplied but isn't a known config"); a value that does not parse
/// stops startup with an error that names the key.
public struct BrokerConfig: Sendable {
    public var brokerID: Int32 = -1
    public var brokerIDGenerationEnable = true
    public var reservedBrokerMaxID: Int32 = 1000
    public var listeners = "PLAINTEXT://:9092"
    public var advertisedListeners: String?
    public var listenerSecurityProtocolMap =
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
    public var interBrokerListenerName: String?
    /// `security.inter.broker.protocol`: the inter-broker listener's protocol when `inter.broker.listener.name` is
    /// unset (Kafka allows only one of the two); nil means Kafka's default, PLAINTEXT.
    public var securityInterBrokerProtocol: String?
    /// SASL and TLS (`ConfigTable+Security`); each may be set per listener as `listener.name.<l>.<key>`.
    public var saslEnabledMechanisms = ["GSSAPI"]
    public var saslMechanismInterBrokerProtocol = "GSSAPI"
    public var connectionsMaxReauthMs: Int64 = 0
    public var connectionFailedAuthenticationDelayMs: Int64 = 100
    public var saslServerMaxReceiveSize = 524_288
    public var sslKeystoreType = "JKS"
    public var sslKeystoreLocation: String?
    public var sslKeystorePassword: String?
    public var sslKeyPassword: String?
    public var sslKeystoreKey: String?
    public var sslKeystoreCertificateChain: String?
    public var sslTruststoreType = "JKS"
    public var sslTruststoreLocation: String?
    public var sslTruststorePassword: String?
    public var sslTruststoreCertificates: String?
    public var sslClientAuth = "none"
    public var sslProtocol = "TLSv1.3"
    public var sslEnabledProtocols = ["TLSv1.2", "TLSv1.3"]
    public var sslCipherSuites: String?
    public var sslEndpointIdentificationAlgorithm = "https"
    public var sslPrincipalMappingRules = "DEFAULT"
    /// `authorizer.class.name` (`ConfigTable+Authorizer`): empty, or one of the two names of Kafka's ACL authorizer.
    public var authorizerClassName = ""
    public var superUsers = ""
    public var allowEveryoneIfNoAclFound = false
    public var quotaWindowNum = 11
    public var quotaWindowSizeSeconds = 1
    /// Every `listener.name.<listener>.<key>` value as given (keys lower-case in the listener part), read by
    /// `forListener(_:)` and `jaasConfig(listener:mechanism:)`.
    public var listenerOverrides: [String: String] = [:]
    /// The cluster links mirror topics fetch through (not Kafka's; Confluent's Cluster Linking in spirit): every
    /// `cluster.link.<name>.<client key>` as given, by link name — `bootstrap.servers` of the source cluster and
    /// its client settings (`security.protocol`, `sasl.*`, `ssl.*`, `client.id`). A topic with `mirror.link=<name>`
    /// names one (`ClusterLinkManager`).
    public var clusterLinks: [String: [String: String]] = [:]
    /// `broker.rack` (KIP-36): the broker's rack, in its registration and Metadata; null when unset.
    public var brokerRack: String?
    /// `replica.selector.class` (KIP-392): null (consumers read from leaders) or Kafka's
    /// `org.apache.kafka.common.replica.RackAwareReplicaSelector` (a replica in the consumer's rack).
    public var replicaSelectorClass: String?
    public var logDirs = ["/tmp/kafka-logs"]
    public var zookeeperConnect = ""
    public var zookeeperSessionTimeoutMs: Int64 = 18_000
    public var zookeeperConnectionTimeoutMs: Int64?
    public var zookeeperSetAcl = false
    public var numPartitions: Int32 = 1
    public var defaultReplicationFactor: Int16 = 1
    public var autoCreateTopicsEnable = true
    public var deleteTopicEnable = true
    public var socketRequestMaxBytes = 104_857_600
    public var connectionsMaxIdleMs: Int64 = 600_000
    public var logRetentionCheckIntervalMs: Int64 = 300_000
    public var logFlushSchedulerIntervalMs = Int64.max
    public var logFlushOffsetCheckpointIntervalMs: Int64 = 60_000
    public var logCleanerEnable = true
    public var logCleanerBackoffMs: Int64 = 15_000
    public var replicaLagTimeMaxMs: Int64 = 30_000
    public var replicaFetchWaitMaxMs: Int32 = 500
    public var replicaFetchMinBytes: Int32 = 1
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    public var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    public var replicaFetchBackoffMs: Int64 = 1000
    public var maxIncrementalFetchSessionCacheSlots: Int32 = 1000
    public var offsetsCommitTimeoutMs: Int64 = 5000
    public var controlledShutdownMaxRetries: Int32 = 3
    public var autoLeaderRebalanceEnable = true
    public var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    public var leaderImbalancePerBrokerPercentage = 10
    public var controlledShutdownRetryBackoffMs: Int64 = 5000
    public var requestTimeoutMs: Int32 = 30_000
    public var transactionStateLogNumPartitions: Int32 = 50
    public var transactionStateLogReplicationFactor: Int16 = 3
    public var transactionStateLogMinIsr: Int32 = 2
    public var transactionStateLogSegmentBytes: Int32 = 104_857_600
    public var transactionMaxTimeoutMs: Int32 = 900_000
    public var transactionalIDExpirationMs: Int64 = 604_800_000
    public var producerIDExpirationCheckIntervalMs: Int64 = 600_000
    public var transactionAbortTimedOutCleanupIntervalMs: Int64 = 10_000
    public var transactionRemoveExpiredCleanupIntervalMs: Int64 = 3_600_000
    public var offsetsTopicNumPartitions: Int32 = 50
    public var offsetsTopicReplicationFactor: Int16 = 3
    public var offsetsRetentionMinutes: Int64 = 10_080
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offsets.storage`: where committed offsets go, `kafka` (the `__consumer_offsets` topic) or `zookeeper`.
    public var offsetsStorage = "kafka"
    public var groupInitialRebalanceDelayMs: Int64 = 3000
    public var groupMinSessionTimeoutMs: Int32 = 6000
    public var groupMaxSessionTimeoutMs: Int32 = 1_800_000
    public var offsetMetadataMaxBytes = 4096
    public var groupMaxSize = Int(Int32.max)
    public var controlledShutdownEnable = true
    /// `metrics.port`: where `/metrics` (Prometheus text) is served; -1 (the default) serves none, 0 picks a port.
    public var metricsPort: Int32 = -1
    /// `metrics.host`: the address `/metrics` binds; empty means every interface.
    public var metricsHost = ""
    /// `confluent.schema.registry.url`: the schema registry that topics with schema validation are checked
    /// against; empty: none.
    public var schemaRegistryURL = ""
    public var logRetentionHours: Int32 = 168
    public var logRetentionMinutes: Int32?
    public var logRetentionMs: Int64?
    public var logRollHours: Int32 = 168
    public var logRollMs: Int64?
    /// The topic defaults (`log.*` and the other broker synonyms of topic keys), as a LogConfig.
    public var logConfig = LogConfig()
    /// The values of keys the broker accepts without acting on them (`ConfigKey.accepted`), by name.
    public var acceptedValues: [String: String] = [:]

    public init() {}

    public var zookeeperConnectionTimeout: Int64 { zookeeperConnectionTimeoutMs ?? zookeeperSessionTimeoutMs }
    /// `message.max.bytes`, the default of the topic key `max.message.bytes`.
    public var messageMaxBytes: Int { logConfig.maxMessageBytes }
    /// `min.insync.replicas`, the default of the topic key of that name.
    public var minInSyncReplicas: Int { logConfig.minInSyncReplicas }
    /// `unclean.leader.election.enable`, the default of the topic key of that name.
    public var uncleanLeaderElectionEnable: Bool { logConfig.uncleanLeaderElectionEnable }

    /// Why the configuration cannot be used.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "Invalid value for configuration \(key): \(reason)" }
    }

    /// Parses `server.properties` text and overrides (applied after, as `--override` does), with `${provider:…}`
    /// variables resolved by the configured `config.providers` (KIP-421). Returns the config and a warning per
    /// unknown key.
    public static func parse(
        properties text: String,
        overrides: [(String, String)] = []
    ) throws(Error)
        -> (config: BrokerConfig, warnings: [String])
    {
        var values: [String: String] = [:]
        for (key, value) in JavaProperties.parse(text) { values[key] = value }
        for (key, value) in overrides { values[key] = value }
        do {
            values = try ConfigProviders.resolve(values)
        } catch {
            throw Error(key: error.key, reason: error.reason)
        }
        var config = BrokerConfig()
        var warnings: [String] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) where !ConfigProviders.isProviderKey(key) {
            if key.hasPrefix("listener.name.") {
                config.listenerOverrides[key] = value.trimmingCharacters()
                continue
            }
            if key.hasPrefix(Self.clusterLinkPrefix) {
                let rest = key.dropFirst(Self.clusterLinkPrefix.count)
                guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex,
                    rest.index(after: dot) != rest.endIndex
                else { throw Error(key: key, reason: "is not cluster.link.<name>.<client config>") }
                config.clusterLinks[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] =
                    value.trimmingCharacters()
                continue
            }
            guard let row = ConfigTable.brokerKeys[key] else {
                warnings.append("The configuration '\(key)' was supplied but isn't a known config.")
                continue
            }
            try row.setBroker(&config, value.trimmingCharacters())
        }
        config.settleDerivedValues()
        try config.validate()
        return (config, warnings)
    }

    /// Kafka's precedence: log.retention.ms > minutes > hours; log.roll.ms > hours.
    private mutating func settleDerivedValues() {
        if let logRetentionMs {
            logConfig.retentionMs = logRetentionMs
        } else if let logRetentionMinutes {
            logConfig.retentionMs = Int64(logRetentionMinutes) * 60_000
        } else {
            logConfig.retentionMs = Int64(logRetentionHours) * 3_600_000
        }
        logConfig.segmentMs = logRollMs ?? Int64(logRollHours) * 3_600_000
    }

    /// The rules between keys.
    private func validate() throws(Error) {
        guard !zookeeperConnect.isEmpty else {
            throw Error(key: "zookeeper.connect", reason: "is required (host:port[,host:port...][/chroot])")
        }
        guard brokerID >= 0 || brokerIDGenerationEnable else {
            throw Error(key: "broker.id", reason: "must be set when broker.id.generation.enable is false")
        }
        guard brokerID <= reservedBrokerMaxID else {
            throw Error(key: "broker.id", reason: "\(brokerID) is above reserved.broker.max.id \(reservedBrokerMaxID)")
        }
        if interBrokerListenerName != nil && securityInterBrokerProtocol != nil {
            throw Error(
                key: "inter.broker.listener.name",
                reason: "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set."
            )
        }
        for (key, value) in listenerOverrides {
            guard let (listener, name) = Self.splitListenerKey(key) else {
                throw Error(key: key, reason: "is not listener.name.<listener>.<config>")
            }
            if name.hasSuffix(".sasl.jaas.config") { continue }
            guard ConfigTable.listenerKeys.contains(name), let row = ConfigTable.brokerKeys[name] else {
                throw Error(key: key, reason: "\(name) cannot be set per listener")
            }
            var copy = self
            do {
                try row.setBroker(&copy, value)
            } catch {
                throw Error(key: "listener.name.\(listener).\(name)", reason: error.reason)
            }
        }
        for (name, settings) in clusterLinks where (settings["bootstrap.servers"] ?? "").isEmpty {
            throw Error(key: "cluster.link.\(name).bootstrap.servers", reason: "is required for cluster link \(name)")
        }
        // Kafka loads the class by name; the one selector it ships is the only one there is here.
        guard replicaSelectorClass == nil || replicaSelectorClass == Self.rackAwareReplicaSelector else {
            throw Error(
                key: "replica.selector.class",
                reason: "\(replicaSelectorClass!) is not a known replica selector (\(Self.rackAwareReplicaSelector) is)"
            )
        }
    }

    static let clusterLinkPrefix = "cluster.link."

    /// Kafka 2.8's ACL authorizer, and the name it had before 2.4 (deprecated, same behaviour).
    public static let aclAuthorizer = "kafka.security.authorizer.AclAuthorizer"
    public static let simpleAclAuthorizer = "kafka.security.auth.SimpleAclAuthorizer"

    /// Whether requests are checked against ACLs.
    public var authorizerEnabled: Bool { !authorizerClassName.isEmpty }

    /// Kafka's KIP-392 selector: a consumer reads from a replica in its `client.rack` when one has the offset.
    public static let rackAwareReplicaSelector = "org.apache.kafka.common.replica.RackAwareReplicaSelector"

    /// Every broker key with the value in effect (defaults included), sorted by key: printed at startup as Kafka
    /// prints its `KafkaConfig values:` block, and served by DescribeConfigs for the broker. Optional keys left unset
    /// are shown as `null`, as Kafka shows them.
    public var effectiveValues: [(key: String, value: String)] {
        ConfigTable.brokerKeys.values.map { (key: $0.name, value: $0.value(in: self)) }.sorted { $0.key < $1.key }
    }
}

extension BrokerConfig {
    /// This config as listener `name` sees it: each `listener.name.<name>.<key>` applied over the broker-wide value
    /// (Kafka's listener prefix; the listener name is matched case-insensitively).
    public func forListener(_ name: String) -> BrokerConfig {
        var config = self
        for (key, value) in listenerOverrides {
            guard let (listener, configName) = Self.splitListenerKey(key), listener == name.lowercased(),
                let row = ConfigTable.brokerKeys[configName], ConfigTable.listenerKeys.contains(configName)
            else { continue }
            try? row.setBroker(&config, value)  // validated at parse
        }
        return config
    }

    /// `listener.name.<listener>.<mechanism>.sasl.jaas.config` (the mechanism lower-case, as Kafka spells it).
    public func jaasConfig(listener: String, mechanism: String) -> String? {
        listenerOverrides["listener.name.\(listener.lowercased()).\(mechanism.lowercased()).sasl.jaas.config"]
    }

    /// `listener.name.<listener>.<rest>` → (listener lower-cased, rest).
    static func splitListenerKey(_ key: String) -> (String, String)? {
        let rest = key.dropFirst("listener.name.".count)
        guard key.hasPrefix("listener.name."), let dot = rest.firstIndex(of: "."), dot != rest.startIndex else {
            return nil
        }
        return (rest[..<dot].lowercased(), String(rest[rest.index(after: dot)...]))
    }
}
