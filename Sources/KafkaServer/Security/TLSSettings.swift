import KafkaClient
import NIOSSL

/// The TLS and SASL a broker uses, from Kafka's `ssl.*` and `sasl.*` keys as one listener sees them
/// (`BrokerConfig.forListener`): a listener's server context (key store, trust store, `ssl.client.auth`, versions,
/// TLS 1.2 cipher suites), and the broker's own client security on the inter-broker listener (the same stores; SASL
/// with `sasl.mechanism.inter.broker.protocol` and the `username`/`password` of that mechanism's JAAS config). The
/// stores are read by `TLSStores`, shared with the client library. Made once at startup.
enum TLSSettings {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The server side of an SSL or SASL_SSL listener.
    static func serverContext(_ config: BrokerConfig, listener: String) throws(Invalid) -> NIOSSLContext {
        let prefix = "listener \(listener): "
        do {
            let store = try keyStore(config)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: store.chain.map { .certificate($0) },
                privateKey: .privateKey(store.key)
            )
            try applyCommon(config, to: &tls)
            switch config.sslClientAuth {
            case "required": tls.certificateVerification = .noHostnameVerification
            case "requested": tls.certificateVerification = .optionalVerification
            default: tls.certificateVerification = .none
            }
            if config.sslClientAuth != "none" {
                guard let roots = try trustStore(config) else {
                    throw Invalid(
                        description: prefix
                            + "ssl.client.auth=\(config.sslClientAuth) needs a trust store (ssl.truststore.location or ssl.truststore.certificates)"
                    )
                }
                tls.trustRoots = .certificates(roots)
            }
            return try NIOSSLContext(configuration: tls)
        } catch let error as Invalid {
            throw error
        } catch let error as TLSStores.Invalid {
            throw Invalid(description: prefix + error.description)
        } catch {
            throw Invalid(description: prefix + "TLS configuration rejected: \(error)")
        }
    }

    /// How this broker connects to the others' `listener` (the inter-broker listener) with `protocolName`: the
    /// client library's `ClientConfiguration.connectionSecurity()` over the listener's `ssl.*` stores and, with SASL,
    /// `sasl.mechanism.inter.broker.protocol` and that mechanism's JAAS config (its `username` and `password`).
    static func interBrokerSecurity(
        _ brokerConfig: BrokerConfig,
        listener: String,
        protocolName: String
    )
        throws(Invalid) -> ConnectionSecurity
    {
        let config = brokerConfig.forListener(listener)
        var client = ClientConfiguration()
        client.securityProtocol = protocolName
        client.saslMechanism = brokerConfig.saslMechanismInterBrokerProtocol.uppercased()
        client.saslJaasConfig = brokerConfig.jaasConfig(listener: listener, mechanism: client.saslMechanism)
        client.sslTruststoreType = config.sslTruststoreType
        client.sslTruststoreLocation = config.sslTruststoreLocation
        client.sslTruststorePassword = config.sslTruststorePassword
        client.sslTruststoreCertificates = config.sslTruststoreCertificates
        client.sslKeystoreType = config.sslKeystoreType
        client.sslKeystoreLocation = config.sslKeystoreLocation
        client.sslKeystorePassword = config.sslKeystorePassword
        client.sslKeyPassword = config.sslKeyPassword
        client.sslKeystoreKey = config.sslKeystoreKey
        client.sslKeystoreCertificateChain = config.sslKeystoreCertificateChain
        client.sslEndpointIdentificationAlgorithm = config.sslEndpointIdentificationAlgorithm
        client.sslEnabledProtocols = config.sslEnabledProtocols
        do {
            return try client.connectionSecurity()
        } catch {
            let key =
                error.key == "sasl.jaas.config"
                ? "listener.name.\(listener.lowercased()).\(client.saslMechanism.lowercased()).sasl.jaas.config"
                : error.key
            throw Invalid(description: "inter-broker listener \(listener): \(key): \(error.reason)")
        }
    }

    private static func applyCommon(_ config: BrokerConfig, to tls: inout TLSConfiguration) throws(TLSStores.Invalid) {
        let versions = try TLSStores.versions(config.sslEnabledProtocols)
        (tls.minimumTLSVersion, tls.maximumTLSVersion) = (versions.minimum, versions.maximum)
        if let suites = config.sslCipherSuites, !suites.isEmpty {
            tls.cipherSuites = suites.split(separator: ",").map { String($0).trimmingCharacters() }
                .joined(separator: ":")
        }
    }

    private static func keyStore(
        _ config: BrokerConfig
    ) throws(TLSStores.Invalid) -> (
        chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
    ) {
        try TLSStores.keyStore(
            type: config.sslKeystoreType,
            location: config.sslKeystoreLocation,
            password: config.sslKeystorePassword,
            keyPassword: config.sslKeyPassword,
            inlineKey: config.sslKeystoreKey,
            inlineChain: config.sslKeystoreCertificateChain
        )
    }

    private static func trustStore(_ config: BrokerConfig) throws(TLSStores.Invalid) -> [NIOSSLCertificate]? {
        try TLSStores.trustStore(
            type: config.sslTruststoreType,
            location: config.sslTruststoreLocation,
            password: config.sslTruststorePassword,
            inlineCertificates: config.sslTruststoreCertificates
        )
    }
}
