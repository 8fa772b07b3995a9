/// TLS and SASL, Kafka 2.8's names and defaults. Every key here except the inter-broker ones may also be set for
/// one listener as `listener.name.<listener>.<key>` (`BrokerConfig.forListener`); SASL/PLAIN's users and the broker's
/// own client credentials are `listener.name.<listener>.<mechanism>.sasl.jaas.config` (mechanism lower-case).
extension ConfigTable {
    static let security: [ConfigKey] = [
        .broker(
            "security.inter.broker.protocol",
            \.securityInterBrokerProtocol,
            .oneOf(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]),
            "The protocol brokers use to reach each other when inter.broker.listener.name is unset (default PLAINTEXT); set at most one of the two."
        ),
        .broker(
            "sasl.enabled.mechanisms",
            \.saslEnabledMechanisms,
            "The SASL mechanisms a SASL listener offers: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512."
        ),
        .broker(
            "sasl.mechanism.inter.broker.protocol",
            \.saslMechanismInterBrokerProtocol,
            "The SASL mechanism brokers authenticate each other with."
        ),
        .broker(
            "connections.max.reauth.ms",
            \.connectionsMaxReauthMs,
            .atLeast(0),
            "KIP-368: a SASL session's lifetime, after which the client must re-authenticate on its connection (or the connection is closed); 0 disables it."
        ),
        .broker(
            "connection.failed.authentication.delay.ms",
            \.connectionFailedAuthenticationDelayMs,
            .atLeast(0),
            "How long a connection whose authentication failed stays open (with the error sent) before it is closed."
        ),
        .broker(
            "sasl.server.max.receive.size",
            \.saslServerMaxReceiveSize,
            .atLeast(1),
            "The largest frame accepted before authentication completes."
        ),
        .broker(
            "ssl.keystore.type",
            \.sslKeystoreType,
            .oneOf(["JKS", "PEM", "PKCS12"]),
            "The key store's format: PEM (a file, or ssl.keystore.key and ssl.keystore.certificate.chain inline) or PKCS12. Java's JKS cannot be read here."
        ),
        .broker(
            "ssl.keystore.location",
            \.sslKeystoreLocation,
            "The key store file: the broker's key and certificate chain."
        ),
        .password("ssl.keystore.password", \.sslKeystorePassword, "The PKCS12 key store's password."),
        .password("ssl.key.password", \.sslKeyPassword, "The password of an encrypted private key."),
        .password("ssl.keystore.key", \.sslKeystoreKey, "The private key, inline PEM (PKCS#8)."),
        .broker(
            "ssl.keystore.certificate.chain",
            \.sslKeystoreCertificateChain,
            "The certificate chain, inline PEM."
        ),
        .broker(
            "ssl.truststore.type",
            \.sslTruststoreType,
            .oneOf(["JKS", "PEM", "PKCS12"]),
            "The trust store's format: PEM (a file of CA certificates, or ssl.truststore.certificates inline) or PKCS12."
        ),
        .broker(
            "ssl.truststore.location",
            \.sslTruststoreLocation,
            "The trust store file: CAs whose client certificates are accepted."
        ),
        .password("ssl.truststore.password", \.sslTruststorePassword, "The PKCS12 trust store's password."),
        .broker("ssl.truststore.certificates", \.sslTruststoreCertificates, "Trusted CA certificates, inline PEM."),
        .broker(
            "ssl.client.auth",
            \.sslClientAuth,
            .oneOf(["none", "requested", "required"]),
            "Whether a TLS client must (required) or may (requested) present a certificate; its subject becomes the principal."
        ),
        .broker(
            "ssl.protocol",
            \.sslProtocol,
            .oneOf(["TLSv1.2", "TLSv1.3", "TLS"]),
            "Java's SSLContext protocol; accepted for compatibility: the versions offered are ssl.enabled.protocols."
        ),
        .broker("ssl.enabled.protocols", \.sslEnabledProtocols, "The TLS versions accepted: TLSv1.2, TLSv1.3."),
        .broker(
            "ssl.cipher.suites",
            \.sslCipherSuites,
            "TLS 1.2 cipher suites (OpenSSL names); unset: BoringSSL's defaults."
        ),
        .broker(
            "ssl.endpoint.identification.algorithm",
            \.sslEndpointIdentificationAlgorithm,
            "https: a broker connecting to another checks the host name against its certificate; empty: it does not."
        ),
        .broker(
            "ssl.principal.mapping.rules",
            \.sslPrincipalMappingRules,
            "How a client certificate's subject becomes the principal: DEFAULT or RULE:pattern/replacement/[LU], first match wins."
        ),
    ]

    /// The keys `listener.name.<listener>.` may prefix.
    static let listenerKeys: Set<String> = Set(
        security.compactMap(\.brokerName).filter {
            $0 != "security.inter.broker.protocol" && $0 != "sasl.mechanism.inter.broker.protocol"
        }
    )
}
