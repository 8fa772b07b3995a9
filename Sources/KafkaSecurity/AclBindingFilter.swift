/// Which ACLs a DescribeAcls or DeleteAcls request means, as Kafka's `AclBindingFilter` matches them: a resource
/// type (or ANY), a name (nil: any), a pattern type — ANY (any pattern with exactly this name), MATCH (every
/// pattern that applies to a resource of this name: its literal, the literal `*`, and the prefixed patterns that
/// prefix it), or LITERAL/PREFIXED exactly — and an entry's principal, host (nil: any), operation and permission
/// (ANY: any).
public struct AclBindingFilter: Sendable, Hashable {
    public var resourceType: ResourceType
    public var name: String?
    public var patternType: PatternType
    public var principal: String?
    public var host: String?
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(
        resourceType: ResourceType = .any,
        name: String? = nil,
        patternType: PatternType = .any,
        principal: String? = nil,
        host: String? = nil,
        operation: AclOperation = .any,
        permission: AclPermissionType = .any
    ) {
        self.resourceType = resourceType
        self.name = name
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    /// Why Kafka refuses the filter (INVALID_REQUEST): an UNKNOWN enum value anywhere. Nil when it is valid.
    public var invalidReason: String? {
        if resourceType == .unknown || patternType == .unknown || operation == .unknown || permission == .unknown {
            return "The filter has an UNKNOWN element"
        }
        return nil
    }

    public func matches(_ pattern: ResourcePattern) -> Bool {
        if resourceType != .any, resourceType != pattern.type { return false }
        if patternType != .any, patternType != .match, patternType != pattern.patternType { return false }
        guard let name else { return true }
        if patternType == .any || patternType == pattern.patternType { return name == pattern.name }
        switch pattern.patternType {
        case .literal: return name == pattern.name || pattern.name == ResourcePattern.wildcard
        case .prefixed: return name.hasPrefix(pattern.name)
        default: return false
        }
    }

    public func matches(_ entry: AccessControlEntry) -> Bool {
        (principal == nil || principal == entry.principal) && (host == nil || host == entry.host)
            && (operation == .any || operation == entry.operation)
            && (permission == .any || permission == entry.permission)
    }

    public func matches(_ binding: AclBinding) -> Bool { matches(binding.pattern) && matches(binding.entry) }
}

extension AclBinding {
    /// Why Kafka's CreateAcls refuses this binding (INVALID_REQUEST), or nil: UNKNOWN or ANY/MATCH elements, an
    /// empty name, a cluster resource not named `kafka-cluster`, a principal that is not `<type>:<name>`.
    public var invalidReason: String? {
        if pattern.type == .unknown || pattern.type == .any || pattern.patternType == .unknown
            || pattern.patternType == .any || pattern.patternType == .match || entry.operation == .unknown
            || entry.operation == .any || entry.permission == .unknown || entry.permission == .any
        {
            return "Invalid ACL creation: \(pattern) \(entry)"
        }
        if pattern.name.isEmpty { return "Invalid empty resource name specified" }
        if pattern.type == .cluster, pattern.name != ResourceType.clusterName {
            return "The only valid name for the CLUSTER resource is \(ResourceType.clusterName)"
        }
        if KafkaPrincipal(parsing: entry.principal) == nil {
            return "Could not parse principal from `\(entry.principal)` (no colon is found)"
        }
        return nil
    }
}

extension AclBindingFilter {
    /// `ResourcePatternFilter(resourceType=TOPIC, name=t1, patternType=LITERAL)`, as Kafka's tools print it.
    public var patternDescription: String {
        "ResourcePatternFilter(resourceType=\(resourceType.upperName), name=\(name ?? "null"), patternType=\(patternType.upperName))"
    }
}
