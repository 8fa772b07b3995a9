import KafkaProtocol
public import KafkaSecurity

/// ACLs, as Java's `Admin.createAcls` / `describeAcls` / `deleteAcls`: CreateAcls, DescribeAcls and DeleteAcls
/// (versions up to 2; prefixed patterns need v1, which every broker that has an authorizer serves), sent to any
/// broker — each writes ZooKeeper and the others follow the change notifications. Used by `swiftkafka-admin acls`.
extension KafkaAdminClient {
    /// Adds the bindings; each one's outcome, in order.
    public func createAcls(_ bindings: [AclBinding]) async throws -> [Result<Void, AdminError>] {
        var request = CreateAclsRequest()
        request.creations = bindings.map {
            .init(
                resourceType: $0.pattern.type.rawValue,
                resourceName: $0.pattern.name,
                resourcePatternType: $0.pattern.patternType.rawValue,
                principal: $0.entry.principal,
                host: $0.entry.host,
                operation: $0.entry.operation.rawValue,
                permissionType: $0.entry.permission.rawValue
            )
        }
        let response = try await cluster.send(request)
        return response.results.map {
            $0.errorCode == .none ? .success(()) : .failure(AdminError($0.errorCode, $0.errorMessage))
        }
    }

    /// The bindings that match `filter`.
    public func describeAcls(_ filter: AclBindingFilter) async throws -> [AclBinding] {
        let request = DescribeAclsRequest(
            resourceTypeFilter: filter.resourceType.rawValue,
            resourceNameFilter: filter.name,
            patternTypeFilter: filter.patternType.rawValue,
            principalFilter: filter.principal,
            hostFilter: filter.host,
            operation: filter.operation.rawValue,
            permissionType: filter.permission.rawValue
        )
        let response = try await cluster.send(request)
        guard response.errorCode == .none else { throw AdminError(response.errorCode, response.errorMessage) }
        return response.resources.flatMap { resource in
            resource.acls.map { acl in
                AclBinding(
                    ResourcePattern(
                        ResourceType(rawValue: resource.resourceType) ?? .unknown,
                        resource.resourceName,
                        PatternType(rawValue: resource.patternType) ?? .unknown
                    ),
                    AccessControlEntry(
                        principal: acl.principal,
                        host: acl.host,
                        operation: AclOperation(rawValue: acl.operation) ?? .unknown,
                        permission: AclPermissionType(rawValue: acl.permissionType) ?? .unknown
                    )
                )
            }
        }
    }

    /// Deletes what each filter matches; per filter, the bindings deleted.
    public func deleteAcls(_ filters: [AclBindingFilter]) async throws -> [Result<[AclBinding], AdminError>] {
        var request = DeleteAclsRequest()
        request.filters = filters.map {
            .init(
                resourceTypeFilter: $0.resourceType.rawValue,
                resourceNameFilter: $0.name,
                patternTypeFilter: $0.patternType.rawValue,
                principalFilter: $0.principal,
                hostFilter: $0.host,
                operation: $0.operation.rawValue,
                permissionType: $0.permission.rawValue
            )
        }
        let response = try await cluster.send(request)
        return response.filterResults.map { result in
            guard result.errorCode == .none else { return .failure(AdminError(result.errorCode, result.errorMessage)) }
            return .success(
                result.matchingAcls.map {
                    AclBinding(
                        ResourcePattern(
                            ResourceType(rawValue: $0.resourceType) ?? .unknown,
                            $0.resourceName,
                            PatternType(rawValue: $0.patternType) ?? .unknown
                        ),
                        AccessControlEntry(
                            principal: $0.principal,
                            host: $0.host,
                            operation: AclOperation(rawValue: $0.operation) ?? .unknown,
                            permission: AclPermissionType(rawValue: $0.permissionType) ?? .unknown
                        )
                    )
                }
            )
        }
    }
}
