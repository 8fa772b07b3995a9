import KafkaCore
import KafkaProtocol
import KafkaZooKeeper

/// DescribeClientQuotas (48) and AlterClientQuotas (49), versions 0-1 (KIP-546), over the `/config/users` and
/// `/config/clients` entity configs as Kafka 2.8's `ZkAdminManager` keeps them, on any broker. Entity types `user`
/// and `client-id` (a null name is the default); `ip` entities are refused (connection rate quotas are not served).
/// Describe filters each component exactly (match type 0), as the default (1) or as any name (2), and with
/// `strict` leaves out entities with other components. Alter validates every key (Kafka's four quota keys; the
/// LONG ones must be whole numbers) and writes the entity's config — its SCRAM credentials untouched — announcing
/// it in `/config/changes`. Cluster:DescribeConfigs and Cluster:AlterConfigs with an authorizer.
enum ClientQuotasHandlers {
    static func describe(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeClientQuotasRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .describeConfigs) else {
                return DescribeClientQuotasResponse(
                    errorCode: .clusterAuthorizationFailed,
                    errorMessage: nil,
                    entries: nil
                )
            }
            for component in request.components {
                if !["user", "client-id"].contains(component.entityType) {
                    return DescribeClientQuotasResponse(
                        errorCode: .invalidRequest,
                        errorMessage: "Unsupported entity type \(component.entityType)",
                        entries: nil
                    )
                }
                if component.matchType > 2 {
                    return DescribeClientQuotasResponse(
                        errorCode: .invalidRequest,
                        errorMessage: "Unexpected match type \(component.matchType)",
                        entries: nil
                    )
                }
            }
            let matching = services.quotas.cache.all.filter { entity, _ in
                matches(entity, request.components, strict: request.strict)
            }
            return DescribeClientQuotasResponse(
                errorCode: .none,
                errorMessage: nil,
                entries: matching.sorted { $0.key.description < $1.key.description }.map { entity, values in
                    .init(
                        entity: wireEntity(entity).map { .init(entityType: $0.0, entityName: $0.1) },
                        values: values.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }
                    )
                }
            )
        }
    }

    static func alter(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AlterClientQuotasRequest.self) { request, context in
            let allowed = services.authorizer.authorizeCluster(context, .alterConfigs)
            var results: [AlterClientQuotasResponse.EntryData] = []
            for entry in request.entries {
                let wire = entry.entity.map {
                    AlterClientQuotasResponse.EntityData(entityType: $0.entityType, entityName: $0.entityName)
                }
                func fail(_ code: KafkaErrorCode, _ message: String?) {
                    results.append(.init(errorCode: code, errorMessage: message, entity: wire))
                }
                guard allowed else {
                    fail(.clusterAuthorizationFailed, nil)
                    continue
                }
                let entity: ClientQuotaEntity
                switch parse(entry.entity.map { ($0.entityType, $0.entityName) }) {
                case .success(let parsed): entity = parsed
                case .failure(let reason):
                    fail(.invalidRequest, reason.description)
                    continue
                }
                if let problem = entry.ops.lazy.compactMap(invalid).first {
                    fail(.invalidRequest, problem)
                    continue
                }
                if request.validateOnly {
                    fail(.none, nil)
                    continue
                }
                let (type, name) = entity.configEntity
                do {
                    var config = try await services.zk.getEntityConfig(type: type, name: name)
                    for op in entry.ops {
                        config[op.key] = op.remove ? nil : format(op.key, op.value)
                    }
                    try await services.zk.setEntityConfig(type: type, name: name, config: config)
                    services.quotas.cache.update(entity, config: config)
                    services.logger.info("Altered client quotas", metadata: ["entity": "\(entity)"])
                    fail(.none, nil)
                } catch {
                    fail(.unknownServerError, "Failed to write the quotas of \(entity): \(error)")
                }
            }
            return AlterClientQuotasResponse(entries: results)
        }
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// A request's entity: `user` and/or `client-id`, each at most once.
    static func parse(_ components: [(String, String?)]) -> Result<ClientQuotaEntity, Invalid> {
        var user: ClientQuotaEntity.Name?
        var client: ClientQuotaEntity.Name?
        for (type, name) in components {
            let value: ClientQuotaEntity.Name = name.map { .named($0) } ?? .default
            switch type {
            case "user" where user == nil: user = value
            case "client-id" where client == nil: client = value
            case "user", "client-id": return .failure(Invalid(description: "Duplicate \(type) entity in the request"))
            case "ip": return .failure(Invalid(description: "ip entities (connection_creation_rate) are not supported"))
            default: return .failure(Invalid(description: "Unhandled client quota entity type: \(type)"))
            }
        }
        guard user != nil || client != nil else {
            return .failure(Invalid(description: "Invalid empty client quota entity"))
        }
        return .success(ClientQuotaEntity(user: user, clientID: client))
    }

    /// Why an operation is refused (an unknown key, a fraction for a LONG key), or nil.
    static func invalid(_ op: AlterClientQuotasRequest.OpData) -> String? {
        guard let isLong = ClientQuotaKey.all[op.key] else { return "Invalid configuration key \(op.key)" }
        if !op.remove, isLong, op.value.rounded() != op.value {
            return "Configuration \(op.key) must be a Long value"
        }
        if !op.remove, op.value <= 0 { return "Configuration \(op.key) must be greater than 0" }
        return nil
    }

    /// How Kafka writes a quota in ZooKeeper: a LONG key as a whole number, a DOUBLE one with its fraction.
    static func format(_ key: String, _ value: Double) -> String {
        ClientQuotaKey.all[key] == true ? String(Int64(value)) : String(value)
    }

    static func wireEntity(_ entity: ClientQuotaEntity) -> [(String, String?)] {
        var result: [(String, String?)] = []
        if let user = entity.user { result.append(("user", user.wireName)) }
        if let client = entity.clientID { result.append(("client-id", client.wireName)) }
        return result
    }

    static func matches(
        _ entity: ClientQuotaEntity,
        _ components: [DescribeClientQuotasRequest.ComponentData],
        strict: Bool
    ) -> Bool {
        for component in components {
            let part = component.entityType == "user" ? entity.user : entity.clientID
            guard let part else { return false }
            switch component.matchType {
            case 0: if part != .named(component.match ?? "") { return false }
            case 1: if part != .default { return false }
            default: break
            }
        }
        if strict {
            let types = Set(components.map(\.entityType))
            if entity.user != nil, !types.contains("user") { return false }
            if entity.clientID != nil, !types.contains("client-id") { return false }
        }
        return true
    }
}
