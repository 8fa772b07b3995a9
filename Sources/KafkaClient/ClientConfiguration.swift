public import KafkaCore

/// The settings every client shares (Kafka's `CommonClientConfigs`), with the Java client's names and defaults. The
/// producer's and consumer's configurations hold one and list its keys with their own (`ConfigProperty.lifted`).
public struct ClientConfiguration: PropertyConfigurable {
    /// `bootstrap.servers`: where to start; the cluster's other brokers are learned from Metadata.
    public var bootstrapServers: [String] = []
    /// `client.id`: sent with every request, for the brokers' logs and quotas.
    public var clientID = ""
    /// `request.timeout.ms`: how long one request may wait for its answer.
    public var requestTimeoutMs: Int32 = 30_000
    /// `retry.backoff.ms`: the wait before a failed request is tried again.
    public var retryBackoffMs: Int64 = 100
    /// `reconnect.backoff.ms`: the first wait before reconnecting to a broker; doubles up to the maximum.
    public var reconnectBackoffMs: Int64 = 50
    /// `reconnect.backoff.max.ms`.
    public var reconnectBackoffMaxMs: Int64 = 1000
    /// `metadata.max.age.ms`: metadata older than this is refreshed even without an error.
    public var metadataMaxAgeMs: Int64 = 300_000
    /// `socket.connection.setup.timeout.ms`: how long one connection attempt may take.
    public var socketConnectionSetupTimeoutMs: Int64 = 10_000
    /// `security.protocol`: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (`ClientConfiguration+Security`).
    public var securityProtocol = "PLAINTEXT"
    public var saslMechanism = "GSSAPI"
    /// `sasl.jaas.config`: the login module with `username` and `password` (PLAIN and SCRAM).
    public var saslJaasConfig: String?
    public var sslTruststoreType = "JKS"
    public var sslTruststoreLocation: String?
    public var sslTruststorePassword: String?
    public var sslTruststoreCertificates: String?
    /// A connection security made elsewhere (a broker's own inter-broker settings), used instead of the keys.
    public var securityOverride: ConnectionSecurity?
    public var sslKeystoreType = "JKS"
    public var sslKeystoreLocation: String?
    public var sslKeystorePassword: String?
    public var sslKeyPassword: String?
    public var sslKeystoreKey: String?
    public var sslKeystoreCertificateChain: String?
    public var sslEndpointIdentificationAlgorithm = "https"
    public var sslEnabledProtocols = ["TLSv1.2", "TLSv1.3"]

    public init() {}

    public static let properties: [ConfigProperty<ClientConfiguration>] =
        [
            .key("bootstrap.servers", \.bootstrapServers, "host:port pairs to start from, comma-separated."),
            .key("client.id", \.clientID, "The client's name in requests."),
            .key("request.timeout.ms", \.requestTimeoutMs, .atLeast(0), "How long a request may wait for its answer."),
            .key("retry.backoff.ms", \.retryBackoffMs, .atLeast(0), "The wait before a failed request is retried."),
            .key("reconnect.backoff.ms", \.reconnectBackoffMs, .atLeast(0), "The first wait before reconnecting."),
            .key(
                "reconnect.backoff.max.ms",
                \.reconnectBackoffMaxMs,
                .atLeast(0),
                "The longest wait before reconnecting."
            ),
            .key("metadata.max.age.ms", \.metadataMaxAgeMs, .atLeast(0), "Metadata is refreshed at least this often."),
            .key(
                "socket.connection.setup.timeout.ms",
                \.socketConnectionSetupTimeoutMs,
                .atLeast(0),
                "How long one connection attempt may take."
            ),
        ] + securityProperties

    /// The bootstrap addresses; an empty or malformed list is a configuration error.
    public func bootstrapAddresses() throws(ConfigError) -> [BrokerAddress] {
        do {
            return try BrokerAddress.parseList(bootstrapServers.joined(separator: ","))
        } catch {
            throw ConfigError(key: "bootstrap.servers", reason: error.entry.isEmpty ? "is required" : "\(error)")
        }
    }
}
