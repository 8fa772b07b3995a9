import Foundation
import NIOSSL

/// A TLS listener's (or the broker's own client's) TLS context from Kafka's `ssl.*` keys, as one listener sees them
/// (`BrokerConfig.forListener`): the key store (PEM file, inline PEM, or PKCS12; Java's JKS cannot be read and is
/// refused with a hint), the trust store (PEM file, inline PEM, or PKCS12), `ssl.client.auth`, the protocol
/// versions and TLS 1.2 cipher suites. Made once at startup; a context is shared by every connection.
enum TLSSettings {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The server side of an SSL or SASL_SSL listener.
    static func serverContext(_ config: BrokerConfig, listener: String) throws(Invalid) -> NIOSSLContext {
        let (chain, key) = try keyStore(config, listener: listener)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        try applyCommon(config, to: &tls, listener: listener)
        switch config.sslClientAuth {
        case "required": tls.certificateVerification = .noHostnameVerification
        case "requested": tls.certificateVerification = .optionalVerification
        default: tls.certificateVerification = .none
        }
        if tls.certificateVerification != .none {
            guard let roots = try trustStore(config, listener: listener) else {
                throw Invalid(
                    description:
                        "listener \(listener): ssl.client.auth=\(config.sslClientAuth) needs a trust store (ssl.truststore.location or ssl.truststore.certificates)"
                )
            }
            tls.trustRoots = .certificates(roots)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw Invalid(description: "listener \(listener): TLS configuration rejected: \(error)")
        }
    }

    /// The client side (a broker reaching another over SSL or SASL_SSL): the trust store, and the key store when
    /// one is configured (for brokers that require client certificates).
    static func clientConfiguration(_ config: BrokerConfig, listener: String) throws(Invalid) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        try applyCommon(config, to: &tls, listener: listener)
        if let roots = try trustStore(config, listener: listener) { tls.trustRoots = .certificates(roots) }
        if config.sslKeystoreLocation != nil || config.sslKeystoreKey != nil {
            let (chain, key) = try keyStore(config, listener: listener)
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        }
        tls.certificateVerification =
            config.sslEndpointIdentificationAlgorithm.isEmpty ? .noHostnameVerification : .fullVerification
        return tls
    }

    private static func applyCommon(
        _ config: BrokerConfig,
        to tls: inout TLSConfiguration,
        listener: String
    )
        throws(Invalid)
    {
        var versions: [TLSVersion] = []
        for name in config.sslEnabledProtocols {
            switch name {
            case "TLSv1.2": versions.append(.tlsv12)
            case "TLSv1.3": versions.append(.tlsv13)
            default:
                throw Invalid(
                    description: "listener \(listener): ssl.enabled.protocols: \(name) is not TLSv1.2 or TLSv1.3"
                )
            }
        }
        tls.minimumTLSVersion = versions.contains(.tlsv12) ? .tlsv12 : .tlsv13
        tls.maximumTLSVersion = versions.contains(.tlsv13) ? .tlsv13 : .tlsv12
        if let suites = config.sslCipherSuites, !suites.isEmpty {
            tls.cipherSuites = suites.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: ":")
        }
    }

    private static func keyStore(
        _ config: BrokerConfig,
        listener: String
    ) throws(Invalid) -> (
        [NIOSSLCertificate], NIOSSLPrivateKey
    ) {
        let prefix = "listener \(listener): "
        do {
            switch config.sslKeystoreType {
            case "PKCS12":
                guard let location = config.sslKeystoreLocation else {
                    throw Invalid(description: prefix + "ssl.keystore.type=PKCS12 needs ssl.keystore.location")
                }
                let bundle = try NIOSSLPKCS12Bundle(
                    file: location,
                    passphrase: config.sslKeystorePassword.map { Array($0.utf8) }
                )
                return (bundle.certificateChain, bundle.privateKey)
            case "PEM":
                if let key = config.sslKeystoreKey, let chain = config.sslKeystoreCertificateChain {
                    return (
                        try NIOSSLCertificate.fromPEMBytes(Array(chain.utf8)),
                        try privateKey(bytes: Array(key.utf8), password: config.sslKeyPassword)
                    )
                }
                guard let location = config.sslKeystoreLocation else {
                    throw Invalid(
                        description: prefix
                            + "ssl.keystore.type=PEM needs ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain"
                    )
                }
                let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: location)))
                return (
                    try NIOSSLCertificate.fromPEMBytes(bytes),
                    try privateKey(bytes: bytes, password: config.sslKeyPassword)
                )
            default:
                throw Invalid(
                    description: prefix
                        + "ssl.keystore.type=\(config.sslKeystoreType) cannot be read: use PEM or PKCS12 (keytool -importkeystore -deststoretype PKCS12 converts a JKS store)"
                )
            }
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(description: prefix + "cannot read the key store: \(error)")
        }
    }

    private static func privateKey(bytes: [UInt8], password: String?) throws -> NIOSSLPrivateKey {
        guard let password else { return try NIOSSLPrivateKey(bytes: bytes, format: .pem) }
        return try NIOSSLPrivateKey(bytes: bytes, format: .pem) { supply in supply(Array(password.utf8)) }
    }

    /// The trusted CAs, or nil when no trust store is configured.
    private static func trustStore(_ config: BrokerConfig, listener: String) throws(Invalid) -> [NIOSSLCertificate]? {
        let prefix = "listener \(listener): "
        do {
            if let inline = config.sslTruststoreCertificates {
                return try NIOSSLCertificate.fromPEMBytes(Array(inline.utf8))
            }
            guard let location = config.sslTruststoreLocation else { return nil }
            switch config.sslTruststoreType {
            case "PEM":
                return try NIOSSLCertificate.fromPEMFile(location)
            case "PKCS12":
                let bundle = try NIOSSLPKCS12Bundle(
                    file: location,
                    passphrase: config.sslTruststorePassword.map { Array($0.utf8) }
                )
                return bundle.certificateChain
            default:
                throw Invalid(
                    description: prefix
                        + "ssl.truststore.type=\(config.sslTruststoreType) cannot be read: use PEM or PKCS12"
                )
            }
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(description: prefix + "cannot read the trust store: \(error)")
        }
    }
}
