/// One SASL mechanism's server side for one authentication exchange: each client token in, a challenge or the
/// final answer out. Made per connection (and per re-authentication) by `SaslServerAuthenticator`; sans I/O.
public protocol SaslServer: Sendable {
    var mechanism: String { get }
    /// The answer to the client's next token; a thrown error ends the exchange with SASL_AUTHENTICATION_FAILED.
    mutating func evaluate(_ token: [UInt8]) throws(SaslAuthenticationError) -> SaslStep
}

/// What a mechanism answers a client's token with.
public enum SaslStep: Sendable, Equatable {
    /// Send these bytes; the exchange goes on.
    case challenge([UInt8])
    /// Send these (final) bytes; the client is `principal`.
    case complete([UInt8], principal: KafkaPrincipal)
}

/// A failed exchange and the message the client is told. Kafka sends the text of a `SaslAuthenticationException`
/// as it is (`Authentication failed: Invalid username or password`) and, for any other failure, one fixed message
/// that says nothing about whether the user exists (`genericFailure`).
public struct SaslAuthenticationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// Kafka's answer to a failure that is not a `SaslAuthenticationException`.
    public static func genericFailure(mechanism: String) -> SaslAuthenticationError {
        SaslAuthenticationError(
            "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)"
        )
    }
}
