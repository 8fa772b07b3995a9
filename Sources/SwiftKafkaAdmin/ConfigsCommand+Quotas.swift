import ArgumentParser
import KafkaClient

/// `configs --entity-type users|clients` for client quotas, as Kafka 2.8's kafka-configs with `--bootstrap-server`:
/// `--alter --add-config 'producer_byte_rate=1048576,request_percentage=200' --entity-type users --entity-name
/// alice [--entity-type clients --entity-name app]` (or `--entity-default`) prints `Completed updating config for
/// user alice.` (`client app.`, `user alice, client app.`); `--describe` prints `Quota configs for user-principal
/// 'alice', client-id 'app' are producer_byte_rate=1048576.0` per entity, then a user's SCRAM credential line.
extension ConfigsCommand {
    static let quotaKeys: Set<String> = [
        "producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate",
    ]

    /// Whether --add-config/--delete-config name quota keys (else SCRAM credentials, for users).
    var isQuotaChange: Bool {
        let keys =
            Self.splitOutsideBrackets(addConfig ?? "").map { String($0.prefix { $0 != "=" }) }
            + (deleteConfig ?? "").split(separator: ",").map(String.init)
        return keys.contains(where: Self.quotaKeys.contains)
    }

    /// The entity the flags name: each --entity-type with its --entity-name, or the default.
    private func quotaEntity() throws -> KafkaAdminClient.ClientQuotaEntity {
        guard entityNames.count <= entityTypes.count else {
            throw ValidationError("more --entity-name than --entity-type")
        }
        if entityNames.count < entityTypes.count, !entityDefault {
            throw ValidationError("--entity-name or --entity-default is required for each --entity-type")
        }
        return entityTypes.enumerated().map { index, type in
            (type: type == .users ? "user" : "client-id", name: index < entityNames.count ? entityNames[index] : nil)
        }
    }

    func alterQuotas(_ client: AdminClient) async throws {
        var changes: [String: Double?] = [:]
        for entry in Self.splitOutsideBrackets(addConfig ?? "") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.quotaKeys.contains(parts[0]) else {
                throw ValidationError(
                    "--add-config \(entry): not a quota (\(Self.quotaKeys.sorted().joined(separator: ", ")))"
                )
            }
            guard let value = Double(parts[1]) else { throw ValidationError("--add-config \(entry): not a number") }
            changes[parts[0]] = value
        }
        for key in (deleteConfig ?? "").split(separator: ",").map(String.init) {
            guard Self.quotaKeys.contains(key) else { throw ValidationError("--delete-config \(key): not a quota") }
            changes[key] = .some(nil)
        }
        guard !changes.isEmpty else { throw ValidationError("--alter needs --add-config and/or --delete-config") }
        let entity = try quotaEntity()
        try await client.admin.alterClientQuotas(entity, changes)
        let names = entity.map { ($0.type == "user" ? "user " : "client ") + ($0.name ?? "<default>") }
        print("Completed updating config for \(names.joined(separator: ", ")).")
    }

    func describeQuotas(_ client: AdminClient) async throws {
        var components: [(type: String, match: KafkaAdminClient.ClientQuotaMatch)] = []
        for (index, type) in entityTypes.enumerated() {
            let wireType = type == .users ? "user" : "client-id"
            if index < entityNames.count {
                components.append((wireType, .exact(entityNames[index])))
            } else {
                components.append((wireType, entityDefault ? .defaultEntity : .any))
            }
        }
        let described = try await client.admin.describeClientQuotas(components, strict: true)
        for (entity, quotas) in described.sorted(by: { Self.entityText($0.entity) < Self.entityText($1.entity) }) {
            let values = quotas.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            print("Quota configs for \(Self.entityText(entity)) are \(values)")
        }
        if entityTypes == [.users], !entityDefault { try await describeUsers(client) }
    }

    /// `user-principal 'alice', client-id 'app'`; the default as `the default user-principal`.
    static func entityText(_ entity: KafkaAdminClient.ClientQuotaEntity) -> String {
        entity.map { part in
            let label = part.type == "user" ? "user-principal" : part.type
            return part.name.map { "\(label) '\($0)'" } ?? "the default \(label)"
        }.joined(separator: ", ")
    }
}
