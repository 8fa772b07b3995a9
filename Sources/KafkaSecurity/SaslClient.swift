import Foundation

/// One SASL mechanism's client side for one exchange: the first token, then an answer to each server token until
/// the server's final one is checked. Used by the Swift client library (and so by brokers talking to each other,
/// and the tools) over SaslHandshake v1 + SaslAuthenticate; sans I/O.
public protocol SaslClient: Sendable {
    var mechanism: String { get }
    mutating func initialResponse() -> [UInt8]
    /// The next token for the server's `challenge`, or nil when the exchange is complete (the server's final token
    /// checked). Throws when the server's token is wrong (a server that does not know the password).
    mutating func evaluate(_ challenge: [UInt8]) throws(SaslAuthenticationError) -> [UInt8]?
}

/// SASL/PLAIN's client: `NUL username NUL password`, and nothing after the server's empty answer.
public struct PlainClient: SaslClient {
    public let mechanism = "PLAIN"
    let username: String
    let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public func initialResponse() -> [UInt8] { [0] + Array(username.utf8) + [0] + Array(password.utf8) }

    public func evaluate(_ challenge: [UInt8]) throws(SaslAuthenticationError) -> [UInt8]? { nil }
}

/// SCRAM-SHA-256/512's client (RFC 5802): client-first with a random nonce, client-final with the proof, and the
/// server's signature checked. Usernames are escaped (`,` → `=2C`, `=` → `=3D`).
public struct ScramClient: SaslClient {
    public let scram: ScramMechanism
    public var mechanism: String { scram.mechanismName }
    let username: String
    let password: String
    let clientNonce: String
    private var expectedServerSignature: [UInt8]?
    private var clientFirstBare = ""

    public init(mechanism: ScramMechanism, username: String, password: String, clientNonce: String? = nil) {
        self.scram = mechanism
        self.username = username
        self.password = password
        self.clientNonce = clientNonce ?? ScramNonce.random()
    }

    public mutating func initialResponse() -> [UInt8] {
        let name = username.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
        clientFirstBare = "n=\(name),r=\(clientNonce)"
        return Array("n,,\(clientFirstBare)".utf8)
    }

    public mutating func evaluate(_ challenge: [UInt8]) throws(SaslAuthenticationError) -> [UInt8]? {
        let invalid = SaslAuthenticationError("Invalid SCRAM server message from the broker")
        guard let text = String(validating: challenge, as: UTF8.self) else { throw invalid }
        if let expected = expectedServerSignature {
            guard text.hasPrefix("v="), let signature = Data(base64Encoded: String(text.dropFirst(2))),
                Array(signature) == expected
            else { throw SaslAuthenticationError("The broker's SCRAM server signature is invalid") }
            return nil
        }
        var fields: [String: String] = [:]
        for field in text.split(separator: ",") where field.count >= 2 {
            fields[String(field.prefix(1))] = String(field.dropFirst(2))
        }
        guard let nonce = fields["r"], nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count,
            let salt = fields["s"].flatMap({ Data(base64Encoded: $0) }),
            let iterations = fields["i"].flatMap({ Int($0) }), iterations >= 1
        else { throw invalid }
        let saltedPassword = scram.saltedPassword(password, salt: Array(salt), iterations: iterations)
        let clientKey = scram.hmac(key: saltedPassword, Array("Client Key".utf8))
        let storedKey = scram.hash(clientKey)
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = Array("\(clientFirstBare),\(text),\(withoutProof)".utf8)
        let proof = zip(clientKey, scram.hmac(key: storedKey, authMessage)).map { $0 ^ $1 }
        let serverKey = scram.hmac(key: saltedPassword, Array("Server Key".utf8))
        expectedServerSignature = scram.hmac(key: serverKey, authMessage)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }
}
