import Foundation
public import NIOSSL

/// Kafka's key and trust stores as swift-nio-ssl reads them, for clients and brokers alike: a key store is a PEM
/// file holding the key and its certificate chain, an inline PEM key and chain (`ssl.keystore.key`,
/// `ssl.keystore.certificate.chain`), or a PKCS12 file; a trust store a PEM file of CA certificates, inline PEM
/// (`ssl.truststore.certificates`), or PKCS12. Java's JKS cannot be read and is refused with the conversion hint.
/// Files are read once, when a TLS context is made.
public enum TLSStores {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The certificate chain and private key of a key store.
    public static func keyStore(
        type: String,
        location: String?,
        password: String?,
        keyPassword: String?,
        inlineKey: String?,
        inlineChain: String?
    ) throws(Invalid) -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        do {
            switch type.uppercased() {
            case "PKCS12":
                guard let location else { throw Invalid("ssl.keystore.type=PKCS12 needs ssl.keystore.location") }
                let bundle = try NIOSSLPKCS12Bundle(file: location, passphrase: password.map { Array($0.utf8) })
                return (bundle.certificateChain, bundle.privateKey)
            case "PEM":
                if let inlineKey, let inlineChain {
                    return (
                        try NIOSSLCertificate.fromPEMBytes(Array(inlineChain.utf8)),
                        try privateKey(Array(inlineKey.utf8), password: keyPassword)
                    )
                }
                guard let location, !location.isEmpty else {
                    throw Invalid(
                        "ssl.keystore.type=PEM needs ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain"
                    )
                }
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: location)))
                return (try NIOSSLCertificate.fromPEMBytes(bytes), try privateKey(bytes, password: keyPassword))
            default:
                throw Invalid(
                    "ssl.keystore.type=\(type) cannot be read: use PEM or PKCS12 (keytool -importkeystore -deststoretype PKCS12 converts a JKS store)"
                )
            }
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid("cannot read the key store: \(error)")
        }
    }

    /// The trusted CA certificates, or nil when no trust store is configured.
    public static func trustStore(
        type: String,
        location: String?,
        password: String?,
        inlineCertificates: String?
    ) throws(Invalid) -> [NIOSSLCertificate]? {
        do {
            if let inlineCertificates {
                return try NIOSSLCertificate.fromPEMBytes(Array(inlineCertificates.utf8))
            }
            guard let location, !location.isEmpty else { return nil }
            switch type.uppercased() {
            case "PEM":
                return try NIOSSLCertificate.fromPEMFile(location)
            case "PKCS12":
                let bundle = try NIOSSLPKCS12Bundle(file: location, passphrase: password.map { Array($0.utf8) })
                return bundle.certificateChain
            default:
                throw Invalid("ssl.truststore.type=\(type) cannot be read: use PEM or PKCS12")
            }
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid("cannot read the trust store: \(error)")
        }
    }

    /// `ssl.enabled.protocols` as the lowest and highest TLS version.
    public static func versions(_ enabled: [String]) throws(Invalid) -> (minimum: TLSVersion, maximum: TLSVersion) {
        var versions: [TLSVersion] = []
        for name in enabled {
            switch name {
            case "TLSv1.2": versions.append(.tlsv12)
            case "TLSv1.3": versions.append(.tlsv13)
            default: throw Invalid("ssl.enabled.protocols: \(name) is not TLSv1.2 or TLSv1.3")
            }
        }
        return (versions.contains(.tlsv12) ? .tlsv12 : .tlsv13, versions.contains(.tlsv13) ? .tlsv13 : .tlsv12)
    }

    private static func privateKey(_ bytes: [UInt8], password: String?) throws -> NIOSSLPrivateKey {
        guard let password else { return try NIOSSLPrivateKey(bytes: bytes, format: .pem) }
        return try NIOSSLPrivateKey(bytes: bytes, format: .pem) { supply in supply(Array(password.utf8)) }
    }
}
