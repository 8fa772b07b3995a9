import KafkaSecurity
import Synchronization

/// A SASL listener's authentication settings, made once at startup from the broker's config: the enabled
/// mechanisms (`[listener.name.<l>.]sasl.enabled.mechanisms`), PLAIN's users (`user_<name>` of the listener's
/// `plain.sasl.jaas.config`), the SCRAM credentials (`ScramCredentialCache`, kept current from ZooKeeper), and the
/// limits. Shared read-only by the listener's connections; each gets a fresh mechanism server per exchange.
struct SaslSettings: Sendable {
    var enabledMechanisms: [String]
    var plainUsers: [String: String]
    var scramCredentials: ScramCredentialCache
    /// `sasl.server.max.receive.size`: the largest frame accepted before authentication.
    var maxReceiveSize: Int
    /// `connections.max.reauth.ms`: 0 disables re-authentication and session expiry.
    var reauthenticationMs: Int64
    /// `connection.failed.authentication.delay.ms`.
    var failedAuthenticationDelayMs: Int64

    /// A new server for `mechanism`, or nil for one this broker does not implement (GSSAPI, OAUTHBEARER).
    func server(_ mechanism: String) -> (any SaslServer)? {
        if mechanism == "PLAIN" { return PlainServer(users: plainUsers) }
        if let scram = ScramMechanism(rawValue: mechanism) {
            let cache = scramCredentials
            return ScramServer(mechanism: scram) { cache.credential(user: $0, mechanism: scram) }
        }
        return nil
    }
}

/// Every user's SCRAM credentials as `/config/users/<user>` holds them, read at startup and replaced user by user
/// when `/config/changes` announces `users/<user>` (`ConfigChangeListener`). One lock; read once per authentication.
final class ScramCredentialCache: Sendable {
    private let credentials = Mutex<[String: [ScramMechanism: ScramCredential]]>([:])

    init() {}

    func credential(user: String, mechanism: ScramMechanism) -> ScramCredential? {
        credentials.withLock { $0[user]?[mechanism] }
    }

    /// Replaces `user`'s credentials with those in its config map (`SCRAM-SHA-256` → credential text); keys that
    /// are not SCRAM mechanisms (quotas) are ignored, a credential that does not parse is left out.
    func update(user: String, config: [String: String]) {
        var parsed: [ScramMechanism: ScramCredential] = [:]
        for (key, value) in config {
            guard let mechanism = ScramMechanism(rawValue: key), let credential = ScramCredential(text: value) else {
                continue
            }
            parsed[mechanism] = credential
        }
        credentials.withLock { $0[user] = parsed.isEmpty ? nil : parsed }
    }

}
