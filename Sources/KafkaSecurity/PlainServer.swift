/// SASL/PLAIN's server (RFC 4616, Kafka's `PlainSaslServer`): one token `authzid NUL authcid NUL passwd`, checked
/// against the listener's JAAS users (`user_<name>="<password>"` of `PlainLoginModule`), answered with an empty
/// token. Kafka's messages: a malformed token fails with the generic message; a wrong password, or an authorization
/// id other than the username, with its own.
public struct PlainServer: SaslServer {
    public let mechanism = "PLAIN"
    let users: [String: String]

    public init(users: [String: String]) {
        self.users = users
    }

    public mutating func evaluate(_ token: [UInt8]) throws(SaslAuthenticationError) -> SaslStep {
        let parts = token.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3,
            let authorizationID = String(validating: parts[0], as: UTF8.self),
            let username = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self),
            !username.isEmpty, !password.isEmpty
        else { throw .genericFailure(mechanism: mechanism) }
        guard let expected = users[username], constantTimeEqual(Array(expected.utf8), Array(password.utf8)) else {
            throw SaslAuthenticationError("Authentication failed: Invalid username or password")
        }
        guard authorizationID.isEmpty || authorizationID == username else {
            throw SaslAuthenticationError(
                "Authentication failed: Client requested an authorization id that is different from username"
            )
        }
        return .complete([], principal: KafkaPrincipal(name: username))
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
