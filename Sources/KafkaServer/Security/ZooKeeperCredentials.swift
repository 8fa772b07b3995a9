import Foundation
import KafkaSecurity

/// The broker's identity with ZooKeeper, found where Kafka's is: the `Client` section of the JAAS file that the
/// JVM property `java.security.auth.login.config` names, which operators pass in `KAFKA_OPTS`
/// (`-Djava.security.auth.login.config=/etc/kafka/zookeeper_jaas.conf`):
///
///     Client {
///       org.apache.zookeeper.server.auth.DigestLoginModule required username="kafka" password="secret";
///     };
///
/// Kafka authenticates with SASL DIGEST-MD5 (ACL ids `sasl:kafka`); this broker's C client uses ZooKeeper's digest
/// scheme with the same username and password (ACL ids `digest:kafka:<hash>`), which every ZooKeeper server accepts
/// without configuration. Read once at startup.
enum ZooKeeperCredentials {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// `username:password`, or nil when `KAFKA_OPTS` names no JAAS file.
    static func fromEnvironment(_ environment: [String: String]) throws(Invalid) -> String? {
        let options = (environment["KAFKA_OPTS"] ?? "").split(separator: " ")
        let property = "-Djava.security.auth.login.config="
        guard let option = options.first(where: { $0.hasPrefix(property) }) else { return nil }
        let path = String(option.dropFirst(property.count))
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(
                description: "cannot read the JAAS file \(path) (java.security.auth.login.config in KAFKA_OPTS)"
            )
        }
        return try credentials(inJaasFile: text, path: path)
    }

    /// The `Client` section's `username:password`.
    static func credentials(inJaasFile text: String, path: String) throws(Invalid) -> String {
        guard let match = text.range(of: #"(?s)(^|[\s;}])Client\s*\{(.*?)\}\s*;"#, options: .regularExpression) else {
            throw Invalid(description: "the JAAS file \(path) has no Client section for ZooKeeper")
        }
        let section = text[match]
        guard let open = section.firstIndex(of: "{"), let close = section.lastIndex(of: "}") else {
            throw Invalid(description: "the JAAS file \(path) has no Client section for ZooKeeper")
        }
        let body = section[section.index(after: open)..<close].trimmingCharacters(in: .whitespacesAndNewlines)
        let config: JaasConfig
        do {
            config = try JaasConfig(parsing: body)
        } catch {
            throw Invalid(description: "the Client section of \(path): \(error)")
        }
        guard let username = config.options["username"], let password = config.options["password"] else {
            throw Invalid(description: "the Client section of \(path) needs username and password")
        }
        return "\(username):\(password)"
    }
}
