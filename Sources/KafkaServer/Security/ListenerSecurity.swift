import KafkaSecurity
import NIOSSL

/// How one listener authenticates its connections, from its security protocol (`listener.security.protocol.map`)
/// and its settings as the listener sees them (`BrokerConfig.forListener`): PLAINTEXT (every client is
/// `User:ANONYMOUS`), SSL (TLS; a client certificate's subject mapped by `ssl.principal.mapping.rules` is the
/// principal), SASL_PLAINTEXT and SASL_SSL (`SaslServerAuthenticator` with `SaslSettings`). Made once per listener
/// at startup; a bad setting stops the broker with a line that names the listener and key.
struct ListenerSecurity: Sendable {
    enum SecurityProtocol: String, Sendable {
        case plaintext = "PLAINTEXT"
        case ssl = "SSL"
        case saslPlaintext = "SASL_PLAINTEXT"
        case saslSsl = "SASL_SSL"

        var usesTLS: Bool { self == .ssl || self == .saslSsl }
        var usesSASL: Bool { self == .saslPlaintext || self == .saslSsl }
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    var securityProtocol: SecurityProtocol
    var tls: NIOSSLContext?
    var sasl: SaslSettings?
    var principalMapper: SslPrincipalMapper

    static let plaintext = ListenerSecurity(
        securityProtocol: .plaintext,
        tls: nil,
        sasl: nil,
        principalMapper: try! SslPrincipalMapper()
    )

    static func make(
        listener: String,
        protocolName: String,
        config brokerConfig: BrokerConfig,
        scramCredentials: ScramCredentialCache
    ) throws -> ListenerSecurity {
        guard let securityProtocol = SecurityProtocol(rawValue: protocolName) else {
            throw Invalid(description: "listener \(listener): unknown security protocol \(protocolName)")
        }
        let config = brokerConfig.forListener(listener)
        let mapper: SslPrincipalMapper
        do {
            mapper = try SslPrincipalMapper(rules: config.sslPrincipalMappingRules)
        } catch {
            throw Invalid(description: "listener \(listener): ssl.principal.mapping.rules: \(error)")
        }
        var security = ListenerSecurity(
            securityProtocol: securityProtocol,
            tls: nil,
            sasl: nil,
            principalMapper: mapper
        )
        if securityProtocol.usesTLS {
            security.tls = try TLSSettings.serverContext(config, listener: listener)
        }
        if securityProtocol.usesSASL {
            let supported = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
            let enabled = config.saslEnabledMechanisms.map { $0.uppercased() }
            if let unsupported = enabled.first(where: { !supported.contains($0) }) {
                throw Invalid(
                    description:
                        "listener \(listener): sasl.enabled.mechanisms: \(unsupported) is not available (\(supported.joined(separator: ", ")) are)"
                )
            }
            var plainUsers: [String: String] = [:]
            if enabled.contains("PLAIN") {
                guard let text = brokerConfig.jaasConfig(listener: listener, mechanism: "PLAIN") else {
                    throw Invalid(
                        description:
                            "listener \(listener): PLAIN needs listener.name.\(listener.lowercased()).plain.sasl.jaas.config with its users (user_<name>=\"<password>\")"
                    )
                }
                do {
                    plainUsers = try JaasConfig(parsing: text).plainUsers
                } catch {
                    throw Invalid(
                        description:
                            "listener \(listener): listener.name.\(listener.lowercased()).plain.sasl.jaas.config: \(error)"
                    )
                }
            }
            security.sasl = SaslSettings(
                enabledMechanisms: enabled,
                plainUsers: plainUsers,
                scramCredentials: scramCredentials,
                maxReceiveSize: config.saslServerMaxReceiveSize,
                reauthenticationMs: config.connectionsMaxReauthMs,
                failedAuthenticationDelayMs: config.connectionFailedAuthenticationDelayMs
            )
        }
        return security
    }

    /// The principal of a TLS connection on an SSL listener: its client certificate's subject, mapped; ANONYMOUS
    /// without a certificate; nil when no mapping rule applies (the connection is refused).
    func principal(forCertificate der: [UInt8]?) -> KafkaPrincipal? {
        guard let der else { return .anonymous }
        guard let subject = try? CertificateSubject.rfc2253(derCertificate: der),
            let name = principalMapper.name(for: subject)
        else { return nil }
        return KafkaPrincipal(name: name)
    }
}
