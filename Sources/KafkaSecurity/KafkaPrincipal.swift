/// Who a connection is, as Kafka's `DefaultKafkaPrincipalBuilder` names it: `User:ANONYMOUS` on a PLAINTEXT
/// listener (and on SSL without a client certificate), `User:<username>` after SASL, `User:<mapped DN>` after TLS
/// with a client certificate. ACLs and quotas match on its text form (`User:alice`). A value, made once per
/// connection when authentication completes.
public struct KafkaPrincipal: Sendable, Hashable, CustomStringConvertible {
    /// `User` for every principal the default builder makes (Kafka's `KafkaPrincipal.USER_TYPE`).
    public var type: String
    public var name: String

    public init(type: String = "User", name: String) {
        self.type = type
        self.name = name
    }

    public static let anonymous = KafkaPrincipal(name: "ANONYMOUS")

    /// `User:alice`, the form ACLs, `super.users` and tools use.
    public var description: String { "\(type):\(name)" }

    /// Parses `Type:name` (the name may itself contain colons, as DNs do not but Kafka allows); nil without a colon.
    public init?(parsing text: some StringProtocol) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let type = text[..<colon]
        let name = text[text.index(after: colon)...]
        guard !type.isEmpty else { return nil }
        self.init(type: String(type), name: String(name))
    }
}
