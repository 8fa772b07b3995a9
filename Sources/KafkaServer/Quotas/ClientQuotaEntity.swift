import KafkaZooKeeper

/// Who a client quota applies to, as Kafka 2.8 names it: a user, a client id, or a user with a client id, where
/// either part may be the default (`<default>` in ZooKeeper, a null name on the wire). Its config lives in
/// `/config/users/<user>`, `/config/users/<user>/clients/<client-id>` or `/config/clients/<client-id>` (names
/// `Sanitizer`-encoded, the default raw), beside a user's SCRAM credentials, and its changes are announced with those
/// entity paths in `/config/changes`.
struct ClientQuotaEntity: Sendable, Hashable, CustomStringConvertible {
    enum Name: Sendable, Hashable {
        case named(String)
        case `default`

        var zkName: String {
            switch self {
            case .named(let name): Sanitizer.sanitize(name)
            case .default: ClientQuotaEntity.defaultName
            }
        }

        /// The wire's form: null for the default.
        var wireName: String? {
            if case .named(let name) = self { return name }
            return nil
        }

        init?(zkName: String) {
            if zkName == ClientQuotaEntity.defaultName {
                self = .default
            } else if let name = Sanitizer.desanitize(zkName) {
                self = .named(name)
            } else {
                return nil
            }
        }
    }

    var user: Name?
    var clientID: Name?

    static let defaultName = "<default>"

    /// The config entity: type `users` or `clients`, and the rest of the path (`alice/clients/c1`).
    var configEntity: (type: String, name: String) {
        switch (user, clientID) {
        case (let user?, let client?): ("users", "\(user.zkName)/clients/\(client.zkName)")
        case (let user?, nil): ("users", user.zkName)
        case (nil, let client?): ("clients", client.zkName)
        case (nil, nil): ("users", Self.defaultName)  // never made: an entity names at least one part
        }
    }

    /// The entity an announced path names (`users/alice`, `users/alice/clients/c1`, `clients/c1`), if any.
    init?(entityPath: String) {
        let parts = entityPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 2 where parts[0] == "users":
            guard let user = Name(zkName: parts[1]) else { return nil }
            self.init(user: user, clientID: nil)
        case 2 where parts[0] == "clients":
            guard let client = Name(zkName: parts[1]) else { return nil }
            self.init(user: nil, clientID: client)
        case 4 where parts[0] == "users" && parts[2] == "clients":
            guard let user = Name(zkName: parts[1]), let client = Name(zkName: parts[3]) else { return nil }
            self.init(user: user, clientID: client)
        default:
            return nil
        }
    }

    init(user: Name?, clientID: Name?) {
        self.user = user
        self.clientID = clientID
    }

    /// `user-principal 'alice', client-id 'c1'` as kafka-configs prints an entity.
    var description: String {
        var parts: [String] = []
        if let user { parts.append(user.wireName.map { "user-principal '\($0)'" } ?? "the default user-principal") }
        if let clientID { parts.append(clientID.wireName.map { "client-id '\($0)'" } ?? "the default client-id") }
        return parts.joined(separator: ", ")
    }
}

/// The quota keys Kafka 2.8 knows for users and client ids, and whether each must be a whole number.
enum ClientQuotaKey {
    static let producerByteRate = "producer_byte_rate"
    static let consumerByteRate = "consumer_byte_rate"
    static let requestPercentage = "request_percentage"
    static let controllerMutationRate = "controller_mutation_rate"

    /// Key → LONG (true) or DOUBLE (false).
    static let all: [String: Bool] = [
        producerByteRate: true, consumerByteRate: true, requestPercentage: false, controllerMutationRate: false,
    ]
}
