import KafkaConnect

/// The connection settings Confluent's JDBC connectors share: `connection.url` (`jdbc:sqlite:<path>`, or
/// `sqlite://<path>`), `connection.user` and `connection.password` (accepted; SQLite has no users). A PostgreSQL
/// URL is refused until that dialect is built.
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
                "JDBC connection URL: jdbc:sqlite:<path>.",
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

    /// The SQLite database file `connection.url` names.
    static func databasePath(_ config: [String: String]) throws(ConnectConfigError) -> String {
        guard let url = config["connection.url"], !url.isEmpty else {
            throw ConnectConfigError("Missing required configuration \"connection.url\" which has no default value.")
        }
        for prefix in ["jdbc:sqlite:", "sqlite://"] where url.hasPrefix(prefix) {
            return String(url.dropFirst(prefix.count))
        }
        throw ConnectConfigError(
            "Invalid value \(url) for configuration connection.url: only jdbc:sqlite: URLs are supported yet"
        )
    }

    /// A comma-separated list setting, trimmed, empty entries dropped.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
