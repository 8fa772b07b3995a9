import KafkaCore
import KafkaProtocol
import KafkaSecurity
import KafkaZooKeeper

/// DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), versions 0-2 (v1 adds pattern types; a v0 request means
/// LITERAL), over the ACL store in ZooKeeper (`AclZNodes`) as Kafka's `AclAuthorizer` keeps it. Describe needs
/// Cluster:Describe, the others Cluster:Alter (CLUSTER_AUTHORIZATION_FAILED); without an authorizer all three
/// answer SECURITY_DISABLED. A write goes to ZooKeeper (conditional, announced to every broker) and into this
/// broker's snapshot at once, so the next request here sees it.
enum AclHandlers {
    static let noAuthorizer = "No Authorizer is configured on the broker"

    static func describe(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeAclsRequest.self) { request, context in
            let authorizer = services.authorizer
            guard authorizer.isEnabled else {
                return DescribeAclsResponse(errorCode: .securityDisabled, errorMessage: noAuthorizer)
            }
            guard authorizer.authorizeCluster(context, .describe) else {
                return DescribeAclsResponse(errorCode: .clusterAuthorizationFailed, errorMessage: nil)
            }
            let filter = Self.filter(
                request.resourceTypeFilter,
                request.resourceNameFilter,
                request.patternTypeFilter,
                request.principalFilter,
                request.hostFilter,
                request.operation,
                request.permissionType
            )
            if let reason = filter.invalidReason {
                return DescribeAclsResponse(errorCode: .invalidRequest, errorMessage: reason)
            }
            var response = DescribeAclsResponse(errorMessage: nil)
            let patterns = authorizer.acls.patterns.sorted { "\($0.key)" < "\($1.key)" }
            for (pattern, entries) in patterns where filter.matches(pattern) {
                let matching = entries.filter(filter.matches).sorted { $0.description < $1.description }
                guard !matching.isEmpty else { continue }
                response.resources.append(
                    .init(
                        resourceType: pattern.type.rawValue,
                        resourceName: pattern.name,
                        patternType: pattern.patternType.rawValue,
                        acls: matching.map {
                            .init(
                                principal: $0.principal,
                                host: $0.host,
                                operation: $0.operation.rawValue,
                                permissionType: $0.permission.rawValue
                            )
                        }
                    )
                )
            }
            return response
        }
    }

    static func create(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(CreateAclsRequest.self) { request, context in
            typealias Result = CreateAclsResponse.AclCreationResult
            let authorizer = services.authorizer
            guard authorizer.isEnabled else {
                return CreateAclsResponse(
                    results: request.creations.map { _ in
                        Result(errorCode: .securityDisabled, errorMessage: noAuthorizer)
                    }
                )
            }
            guard authorizer.authorizeCluster(context, .alter) else {
                return CreateAclsResponse(
                    results: request.creations.map { _ in Result(errorCode: .clusterAuthorizationFailed) }
                )
            }
            var results = [Result](repeating: Result(errorMessage: nil), count: request.creations.count)
            var byPattern: [ResourcePattern: [(Int, AccessControlEntry)]] = [:]
            for (index, creation) in request.creations.enumerated() {
                let binding = AclBinding(
                    ResourcePattern(
                        ResourceType(rawValue: creation.resourceType) ?? .unknown,
                        creation.resourceName,
                        PatternType(rawValue: creation.resourcePatternType) ?? .unknown
                    ),
                    AccessControlEntry(
                        principal: creation.principal,
                        host: creation.host,
                        operation: AclOperation(rawValue: creation.operation) ?? .unknown,
                        permission: AclPermissionType(rawValue: creation.permissionType) ?? .unknown
                    )
                )
                if let reason = binding.invalidReason {
                    results[index] = Result(errorCode: .invalidRequest, errorMessage: reason)
                } else {
                    byPattern[binding.pattern, default: []].append((index, binding.entry))
                }
            }
            for (pattern, additions) in byPattern {
                let entries = Set(additions.map(\.1))
                do {
                    let (_, after) = try await services.zk.updateAcls(pattern) { $0.union(entries) }
                    authorizer.replace(pattern, with: after)
                    services.logger.info(
                        "Added ACLs",
                        metadata: ["resource": "\(pattern)", "acls": "\(entries.map(\.description).sorted())"]
                    )
                } catch {
                    for (index, _) in additions {
                        results[index] = Result(
                            errorCode: .unknownServerError,
                            errorMessage: "Failed to update ACLs for \(pattern): \(error)"
                        )
                    }
                }
            }
            return CreateAclsResponse(results: results)
        }
    }

    static func delete(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DeleteAclsRequest.self) { request, context in
            typealias Result = DeleteAclsResponse.DeleteAclsFilterResult
            let authorizer = services.authorizer
            guard authorizer.isEnabled else {
                return DeleteAclsResponse(
                    filterResults: request.filters.map { _ in
                        Result(errorCode: .securityDisabled, errorMessage: noAuthorizer)
                    }
                )
            }
            guard authorizer.authorizeCluster(context, .alter) else {
                return DeleteAclsResponse(
                    filterResults: request.filters.map { _ in Result(errorCode: .clusterAuthorizationFailed) }
                )
            }
            var results: [Result] = []
            for wire in request.filters {
                let filter = Self.filter(
                    wire.resourceTypeFilter,
                    wire.resourceNameFilter,
                    wire.patternTypeFilter,
                    wire.principalFilter,
                    wire.hostFilter,
                    wire.operation,
                    wire.permissionType
                )
                if let reason = filter.invalidReason {
                    results.append(Result(errorCode: .invalidRequest, errorMessage: reason))
                    continue
                }
                var patterns = Set(authorizer.acls.patterns.keys.filter(filter.matches))
                // An exact pattern is read from ZooKeeper even if this broker has not seen its ACLs yet.
                if let name = filter.name, filter.resourceType != .any,
                    filter.patternType == .literal || filter.patternType == .prefixed
                {
                    patterns.insert(ResourcePattern(filter.resourceType, name, filter.patternType))
                }
                var result = Result(errorMessage: nil)
                do {
                    for pattern in patterns.sorted(by: { "\($0)" < "\($1)" }) {
                        let (before, after) = try await services.zk.updateAcls(pattern) { entries in
                            entries.filter { !filter.matches($0) }
                        }
                        authorizer.replace(pattern, with: after)
                        let deleted = before.subtracting(after).sorted { $0.description < $1.description }
                        if !deleted.isEmpty {
                            services.logger.info(
                                "Removed ACLs",
                                metadata: ["resource": "\(pattern)", "acls": "\(deleted.map(\.description))"]
                            )
                        }
                        result.matchingAcls += deleted.map {
                            .init(
                                errorMessage: nil,
                                resourceType: pattern.type.rawValue,
                                resourceName: pattern.name,
                                patternType: pattern.patternType.rawValue,
                                principal: $0.principal,
                                host: $0.host,
                                operation: $0.operation.rawValue,
                                permissionType: $0.permission.rawValue
                            )
                        }
                    }
                } catch {
                    result = Result(errorCode: .unknownServerError, errorMessage: "Failed to delete ACLs: \(error)")
                }
                results.append(result)
            }
            return DeleteAclsResponse(filterResults: results)
        }
    }

    private static func filter(
        _ resourceType: Int8,
        _ name: String?,
        _ patternType: Int8,
        _ principal: String?,
        _ host: String?,
        _ operation: Int8,
        _ permission: Int8
    ) -> AclBindingFilter {
        AclBindingFilter(
            resourceType: ResourceType(rawValue: resourceType) ?? .unknown,
            name: name,
            patternType: PatternType(rawValue: patternType) ?? .unknown,
            principal: principal,
            host: host,
            operation: AclOperation(rawValue: operation) ?? .unknown,
            permission: AclPermissionType(rawValue: permission) ?? .unknown
        )
    }
}
