public import KafkaSecurity
public import NIOSSL

/// How a client connection secures itself (`security.protocol`): TLS from a context made once per client, and a
/// SASL exchange with fresh mechanism state per connection, done by `KafkaConnection.connect` before the
/// connection is handed out. Shared by every connection of a `ConnectionPool`.
public struct ConnectionSecurity: Sendable {
    /// TLS, or nil for PLAINTEXT and SASL_PLAINTEXT.
    public var tls: NIOSSLContext?
    /// Whether the broker's certificate must name the host connected to (`ssl.endpoint.identification.algorithm`
    /// = https); only checked when `tls` verifies certificates.
    public var verifiesHostname: Bool
    /// The SASL mechanism and credentials, or nil for PLAINTEXT and SSL.
    public var sasl: SaslCredentials?

    public init(tls: NIOSSLContext? = nil, verifiesHostname: Bool = true, sasl: SaslCredentials? = nil) {
        self.tls = tls
        self.verifiesHostname = verifiesHostname
        self.sasl = sasl
    }

    public static let plaintext = ConnectionSecurity()
}

/// A SASL mechanism with a username and password (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): the credentials of Java's
/// `PlainLoginModule`/`ScramLoginModule`.
public struct SaslCredentials: Sendable {
    public var mechanism: String
    public var username: String
    public var password: String

    public init(mechanism: String, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    /// A fresh client for one exchange; nil for a mechanism this library does not implement.
    public func client() -> (any SaslClient)? {
        if mechanism == "PLAIN" { return PlainClient(username: username, password: password) }
        if let scram = ScramMechanism(rawValue: mechanism) {
            return ScramClient(mechanism: scram, username: username, password: password)
        }
        return nil
    }
}
