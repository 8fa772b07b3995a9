import Synchronization

/// Every user and client-id quota as ZooKeeper holds them (read at startup, an entity replaced when
/// `ConfigChangeListener` sees it announced or this broker writes it), and Kafka's rule for which one applies to a
/// request: the most specific entity that sets the key, in the order user+client, user+default client, user, default
/// user+client, default user+default client, default user, client, default client. The quota is shared by every
/// request that maps to the same `Owner` (a user quota by all of that user's clients). One lock; read per request.
final class ClientQuotaCache: Sendable {
    /// Whose usage a quota counts: the user and client id parts of the entity that supplied it (empty when that
    /// part is not in the entity), as Kafka's quota metric tags.
    struct Owner: Sendable, Hashable {
        var user: String
        var clientID: String
    }

    private struct State {
        var entities: [ClientQuotaEntity: [String: Double]] = [:]
        /// The keys some entity sets: a request whose key no one sets is answered without building candidates.
        var keys: Set<String> = []
    }

    private let state = Mutex(State())

    init() {}

    /// Replaces an entity's quotas (keys that are not quota keys, such as SCRAM credentials, are left out).
    func update(_ entity: ClientQuotaEntity, config: [String: String]) {
        var quotas: [String: Double] = [:]
        for (key, value) in config where ClientQuotaKey.all[key] != nil {
            if let number = Double(value) { quotas[key] = number }
        }
        state.withLock { state in
            state.entities[entity] = quotas.isEmpty ? nil : quotas
            state.keys = Set(state.entities.values.flatMap(\.keys))
        }
    }

    var all: [ClientQuotaEntity: [String: Double]] { state.withLock { $0.entities } }

    var isEmpty: Bool { state.withLock { $0.entities.isEmpty } }

    /// The quota on `key` for a request from `user` with `clientID`, and whose usage it counts; nil without one.
    func quota(_ key: String, user: String, clientID: String) -> (bound: Double, owner: Owner)? {
        guard let snapshot = state.withLock({ $0.keys.contains(key) ? $0.entities : nil }) else { return nil }
        let candidates: [(ClientQuotaEntity, Owner)] = [
            (.init(user: .named(user), clientID: .named(clientID)), Owner(user: user, clientID: clientID)),
            (.init(user: .named(user), clientID: .default), Owner(user: user, clientID: clientID)),
            (.init(user: .named(user), clientID: nil), Owner(user: user, clientID: "")),
            (.init(user: .default, clientID: .named(clientID)), Owner(user: user, clientID: clientID)),
            (.init(user: .default, clientID: .default), Owner(user: user, clientID: clientID)),
            (.init(user: .default, clientID: nil), Owner(user: user, clientID: "")),
            (.init(user: nil, clientID: .named(clientID)), Owner(user: "", clientID: clientID)),
            (.init(user: nil, clientID: .default), Owner(user: "", clientID: clientID)),
        ]
        for (entity, owner) in candidates {
            if let bound = snapshot[entity]?[key] { return (bound, owner) }
        }
        return nil
    }
}
