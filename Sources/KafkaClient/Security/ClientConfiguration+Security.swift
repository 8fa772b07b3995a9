public import KafkaCore
import KafkaSecurity
import NIOSSL

/// The Java client's security keys (`security.protocol`, `sasl.*`, `ssl.*`) and the `ConnectionSecurity` they
/// make: TLS with the trust store (and a key store for client certificates), SASL with the credentials of
/// `sasl.jaas.config` (`PlainLoginModule`/`ScramLoginModule` `username` and `password`). The same keys configure the
/// tools (`--command-config`) and a broker's connections to other brokers.
extension ClientConfiguration {
    static let securityProperties: [ConfigProperty<ClientConfiguration>] = [
        .key(
            "security.protocol",
            \.securityProtocol,
            .oneOf(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]),
            "How to talk to brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
        ),
        .key("sasl.mechanism", \.saslMechanism, "The SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512."),
        .password("sasl.jaas.config", \.saslJaasConfig, "The login module with the client's username and password."),
        .key("ssl.truststore.type", \.sslTruststoreType, "PEM or PKCS12."),
        .key("ssl.truststore.location", \.sslTruststoreLocation, "The CA certificates that sign the brokers'."),
        .password("ssl.truststore.password", \.sslTruststorePassword, "The PKCS12 trust store's password."),
        .password("ssl.truststore.certificates", \.sslTruststoreCertificates, "Trusted CA certificates, inline PEM."),
        .key("ssl.keystore.type", \.sslKeystoreType, "PEM or PKCS12: the client certificate's store."),
        .key("ssl.keystore.location", \.sslKeystoreLocation, "The client's key and certificate (for mutual TLS)."),
        .password("ssl.keystore.password", \.sslKeystorePassword, "The PKCS12 key store's password."),
        .password("ssl.key.password", \.sslKeyPassword, "The password of an encrypted private key."),
        .password("ssl.keystore.key", \.sslKeystoreKey, "The private key, inline PEM."),
        .password(
            "ssl.keystore.certificate.chain",
            \.sslKeystoreCertificateChain,
            "The certificate chain, inline PEM."
        ),
        .key(
            "ssl.endpoint.identification.algorithm",
            \.sslEndpointIdentificationAlgorithm,
            "https: the broker's certificate must name the host connected to; empty: not checked."
        ),
        .key("ssl.enabled.protocols", \.sslEnabledProtocols, "The TLS versions offered: TLSv1.2, TLSv1.3."),
    ]

    /// The security these keys describe; a key store, trust store or JAAS text that cannot be used is a
    /// configuration error naming its key.
    public func connectionSecurity() throws(ConfigError) -> ConnectionSecurity {
        if let securityOverride { return securityOverride }
        var security = ConnectionSecurity()
        security.verifiesHostname = !sslEndpointIdentificationAlgorithm.isEmpty
        if securityProtocol == "SSL" || securityProtocol == "SASL_SSL" {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                let versions = try TLSStores.versions(sslEnabledProtocols)
                (tls.minimumTLSVersion, tls.maximumTLSVersion) = (versions.minimum, versions.maximum)
                if let roots = try TLSStores.trustStore(
                    type: sslTruststoreType,
                    location: sslTruststoreLocation,
                    password: sslTruststorePassword,
                    inlineCertificates: sslTruststoreCertificates
                ) {
                    tls.trustRoots = .certificates(roots)
                }
                if sslKeystoreLocation != nil || sslKeystoreKey != nil {
                    let store = try TLSStores.keyStore(
                        type: sslKeystoreType,
                        location: sslKeystoreLocation,
                        password: sslKeystorePassword,
                        keyPassword: sslKeyPassword,
                        inlineKey: sslKeystoreKey,
                        inlineChain: sslKeystoreCertificateChain
                    )
                    tls.certificateChain = store.chain.map { .certificate($0) }
                    tls.privateKey = .privateKey(store.key)
                }
            } catch {
                throw ConfigError(key: "ssl", reason: error.description)
            }
            tls.certificateVerification = security.verifiesHostname ? .fullVerification : .noHostnameVerification
            do {
                security.tls = try NIOSSLContext(configuration: tls)
            } catch {
                throw ConfigError(key: "ssl", reason: "TLS configuration rejected: \(error)")
            }
        }
        if securityProtocol == "SASL_PLAINTEXT" || securityProtocol == "SASL_SSL" {
            guard ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(saslMechanism) else {
                throw ConfigError(
                    key: "sasl.mechanism",
                    reason: "\(saslMechanism) is not available (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)"
                )
            }
            guard let text = saslJaasConfig else {
                throw ConfigError(key: "sasl.jaas.config", reason: "is required for SASL (username and password)")
            }
            let jaas: JaasConfig
            do {
                jaas = try JaasConfig(parsing: text)
            } catch {
                throw ConfigError(key: "sasl.jaas.config", reason: error.description)
            }
            guard let username = jaas.options["username"], let password = jaas.options["password"] else {
                throw ConfigError(key: "sasl.jaas.config", reason: "needs username and password options")
            }
            security.sasl = SaslCredentials(mechanism: saslMechanism, username: username, password: password)
        }
        return security
    }
}
