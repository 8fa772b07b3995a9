import Foundation
import KafkaConnect

/// The connection settings Confluent's JDBC connectors share: `connection.url` (`jdbc:sqlite:<path>` or
/// `jdbc:postgresql://host:port/database`), `connection.user` and `connection.password` (PostgreSQL's; SQLite has
/// no users).
enum JdbcConnection {
    /// The three settings, in the group (and order) a connector shows them in.
    static func keys(group: String) -> [ConfigKey] {
        [
            ConfigKey(
                "connection.url",
                .string,
                default: nil,
                required: true,
                .high,
                "JDBC connection URL: jdbc:sqlite:<path> or jdbc:postgresql://<host>:<port>/<database>.",
                group: group,
                order: 1,
                width: "LONG",
                displayName: "JDBC URL"
            ),
            ConfigKey(
                "connection.user",
                .string,
                default: nil,
                .high,
                "JDBC connection user.",
                group: group,
                order: 2,
                width: "MEDIUM",
                displayName: "JDBC User"
            ),
            ConfigKey(
                "connection.password",
                .password,
                default: nil,
                .high,
                "JDBC connection password.",
                group: group,
                order: 3,
                width: "MEDIUM",
                displayName: "JDBC Password"
            ),
        ]
    }

    /// The database `connection.url` names.
    enum Target: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(host: String, port: Int, database: String, user: String, password: String?)
    }

    /// The database the settings name: `jdbc:sqlite:<path>` (or `sqlite://<path>`), or
    /// `jdbc:postgresql://host[:port]/database[?user=…&password=…]` with `connection.user` and
    /// `connection.password` taking precedence.
    static func target(_ config: [String: String]) throws(ConnectConfigError) -> Target {
        guard let url = config["connection.url"], !url.isEmpty else {
            throw ConnectConfigError("Missing required configuration \"connection.url\" which has no default value.")
        }
        for prefix in ["jdbc:sqlite:", "sqlite://"] where url.hasPrefix(prefix) {
            return .sqlite(path: String(url.dropFirst(prefix.count)))
        }
        let invalid = ConnectConfigError(
            "Invalid value \(url) for configuration connection.url: a jdbc:sqlite: or jdbc:postgresql:// URL is needed"
        )
        guard url.hasPrefix("jdbc:postgresql://") else { throw invalid }
        let rest = url.dropFirst("jdbc:postgresql://".count)
        let (location, query) =
            rest.firstIndex(of: "?").map { (rest[..<$0], rest[rest.index(after: $0)...]) }
            ?? (rest, "")
        guard let slash = location.firstIndex(of: "/") else { throw invalid }
        let authority = location[..<slash]
        let database = String(location[location.index(after: slash)...])
        var host = String(authority)
        var port = 5432
        if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]) else { throw invalid }
            (host, port) = (String(authority[..<colon]), number)
        }
        guard !host.isEmpty, !database.isEmpty else { throw invalid }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { parameters[String(parts[0])] = String(parts[1]).removingPercentEncoding }
        }
        return .postgres(
            host: host,
            port: port,
            database: database,
            user: config["connection.user"] ?? parameters["user"] ?? "postgres",
            password: config["connection.password"] ?? parameters["password"]
        )
    }

    /// A comma-separated list setting, trimmed, empty entries dropped.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
