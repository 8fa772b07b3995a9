/// Kafka's ACL vocabulary (`org.apache.kafka.common.acl`, `common.resource`): resource types, operations,
/// permission and pattern types, with the numbers the ACL APIs carry and the names `/kafka-acl` znodes spell
/// (PascalCase: `Topic`, `Read`, `Allow`; parsed case-insensitively, as Kafka reads old and new spellings).
public enum ResourceType: Int8, Sendable, CaseIterable {
    case unknown = 0
    case any = 1
    case topic = 2
    case group = 3
    case cluster = 4
    case transactionalID = 5
    case delegationToken = 6

    /// The znode name (`/kafka-acl/<name>/...`).
    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .any: "Any"
        case .topic: "Topic"
        case .group: "Group"
        case .cluster: "Cluster"
        case .transactionalID: "TransactionalId"
        case .delegationToken: "DelegationToken"
        }
    }

    /// The Java enum's name (`TOPIC`), as tools print it and change notifications carry it.
    public var upperName: String {
        switch self {
        case .transactionalID: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        default: name.uppercased()
        }
    }

    public init?(name: some StringProtocol) {
        let folded = name.lowercased().replacingOccurrences(of: "_", with: "")
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == folded }) else { return nil }
        self = match
    }

    /// The only cluster resource's name.
    public static let clusterName = "kafka-cluster"
}

public enum AclOperation: Int8, Sendable, CaseIterable {
    case unknown = 0
    case any = 1
    case all = 2
    case read = 3
    case write = 4
    case create = 5
    case delete = 6
    case alter = 7
    case describe = 8
    case clusterAction = 9
    case describeConfigs = 10
    case alterConfigs = 11
    case idempotentWrite = 12

    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .any: "Any"
        case .all: "All"
        case .read: "Read"
        case .write: "Write"
        case .create: "Create"
        case .delete: "Delete"
        case .alter: "Alter"
        case .describe: "Describe"
        case .clusterAction: "ClusterAction"
        case .describeConfigs: "DescribeConfigs"
        case .alterConfigs: "AlterConfigs"
        case .idempotentWrite: "IdempotentWrite"
        }
    }

    /// `READ`, `CLUSTER_ACTION`: the Java enum's name.
    public var upperName: String {
        var result = ""
        for character in name {
            if character.isUppercase, !result.isEmpty { result.append("_") }
            result.append(Character(character.uppercased()))
        }
        return result
    }

    public init?(name: some StringProtocol) {
        let folded = name.lowercased().replacingOccurrences(of: "_", with: "")
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == folded }) else { return nil }
        self = match
    }
}

public enum AclPermissionType: Int8, Sendable, CaseIterable {
    case unknown = 0
    case any = 1
    case deny = 2
    case allow = 3

    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .any: "Any"
        case .deny: "Deny"
        case .allow: "Allow"
        }
    }

    public init?(name: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }
}

public enum PatternType: Int8, Sendable, CaseIterable {
    case unknown = 0
    case any = 1
    case match = 2
    case literal = 3
    case prefixed = 4

    public var upperName: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }

    public init?(name: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.upperName == name.uppercased() }) else { return nil }
        self = match
    }
}

/// A resource pattern: a literal name (`*` is every resource of the type) or a prefix.
public struct ResourcePattern: Sendable, Hashable, CustomStringConvertible {
    public var type: ResourceType
    public var name: String
    public var patternType: PatternType

    public init(_ type: ResourceType, _ name: String, _ patternType: PatternType = .literal) {
        self.type = type
        self.name = name
        self.patternType = patternType
    }

    public static let wildcard = "*"

    /// `ResourcePattern(resourceType=TOPIC, name=t1, patternType=LITERAL)`, as Kafka's tools print it.
    public var description: String {
        "ResourcePattern(resourceType=\(type.upperName), name=\(name), patternType=\(patternType.upperName))"
    }
}

/// One ACL entry of a resource pattern: who, from where, may or may not do what.
public struct AccessControlEntry: Sendable, Hashable, CustomStringConvertible {
    /// `User:alice`, or `User:*` for every principal.
    public var principal: String
    /// A client IP address, or `*`.
    public var host: String
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(principal: String, host: String = "*", operation: AclOperation, permission: AclPermissionType) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    public static let wildcardPrincipal = "User:*"

    /// `(principal=User:bob, host=*, operation=READ, permissionType=ALLOW)`, as Kafka's tools print it.
    public var description: String {
        "(principal=\(principal), host=\(host), operation=\(operation.upperName), permissionType=\(permission.name.uppercased()))"
    }
}

/// A pattern and one of its entries: what CreateAcls adds and DescribeAcls lists.
public struct AclBinding: Sendable, Hashable {
    public var pattern: ResourcePattern
    public var entry: AccessControlEntry

    public init(_ pattern: ResourcePattern, _ entry: AccessControlEntry) {
        self.pattern = pattern
        self.entry = entry
    }
}
