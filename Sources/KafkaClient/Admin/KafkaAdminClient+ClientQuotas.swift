import KafkaProtocol

/// Client quotas (KIP-546), as Java's `Admin.describeClientQuotas` / `alterClientQuotas`: an entity is its parts by
/// type (`user`, `client-id`), a nil name meaning the default; any broker answers. Used by `swiftkafka-admin
/// configs --entity-type users|clients`.
extension KafkaAdminClient {
    /// One quota entity: `[("user", "alice"), ("client-id", nil)]` is alice with the default client id.
    public typealias ClientQuotaEntity = [(type: String, name: String?)]

    /// How DescribeClientQuotas matches one entity type: a name, the default, or any name.
    public enum ClientQuotaMatch: Sendable {
        case exact(String)
        case defaultEntity
        case any
    }

    /// Every entity matching the components (`strict`: no other components), with its quotas.
    public func describeClientQuotas(
        _ components: [(type: String, match: ClientQuotaMatch)],
        strict: Bool = false
    ) async throws -> [(entity: ClientQuotaEntity, quotas: [String: Double])] {
        var request = DescribeClientQuotasRequest()
        request.strict = strict
        request.components = components.map { component in
            switch component.match {
            case .exact(let name): .init(entityType: component.type, matchType: 0, match: name)
            case .defaultEntity: .init(entityType: component.type, matchType: 1, match: nil)
            case .any: .init(entityType: component.type, matchType: 2, match: nil)
            }
        }
        let response = try await cluster.send(request)
        guard response.errorCode == .none else { throw AdminError(response.errorCode, response.errorMessage) }
        return (response.entries ?? []).map { entry in
            (
                entry.entity.map { (type: $0.entityType, name: $0.entityName) },
                Dictionary(entry.values.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            )
        }
    }

    /// Sets (a value) or removes (nil) quota keys of one entity.
    public func alterClientQuotas(
        _ entity: ClientQuotaEntity,
        _ changes: [String: Double?],
        validateOnly: Bool = false
    ) async throws {
        var request = AlterClientQuotasRequest()
        request.validateOnly = validateOnly
        request.entries = [
            .init(
                entity: entity.map { .init(entityType: $0.type, entityName: $0.name) },
                ops: changes.sorted { $0.key < $1.key }.map {
                    .init(key: $0.key, value: $0.value ?? 0, remove: $0.value == nil)
                }
            )
        ]
        let response = try await cluster.send(request)
        if let failed = response.entries.first(where: { $0.errorCode != .none }) {
            throw AdminError(failed.errorCode, failed.errorMessage)
        }
    }
}
