/// Kafka 2.8's `AclAuthorizer` decision, without I/O: whether `principal` from `host` may perform an operation on
/// a resource, given every ACL in the cluster (`AclSnapshot`, which the broker keeps current from `/kafka-acl`).
///
/// Super users (`super.users`) may do anything. Otherwise the ACLs that apply to the resource are those of its
/// literal name, of the literal `*`, and of every prefixed pattern that is a prefix of its name — for any
/// principal. None at all: allowed only with `allow.everyone.if.no.acl.found`. Else a matching DENY (principal or
/// `User:*`, host or `*`, the operation or All) refuses, and then a matching ALLOW permits; an ALLOW of Read, Write,
/// Delete or Alter also permits Describe, and of AlterConfigs DescribeConfigs (a DENY is never widened).
public struct AclAuthorizer: Sendable {
    public var superUsers: Set<String>
    public var allowEveryoneIfNoAclFound: Bool

    public init(superUsers: Set<String> = [], allowEveryoneIfNoAclFound: Bool = false) {
        self.superUsers = superUsers
        self.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound
    }

    /// `super.users`: `User:admin;User:broker` (semicolon-separated, as Kafka's, since DNs contain commas).
    public static func parseSuperUsers(_ text: String) -> Set<String> {
        Set(text.split(separator: ";").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty })
    }

    public func authorize(
        _ principal: KafkaPrincipal,
        host: String,
        operation: AclOperation,
        resource type: ResourceType,
        name: String,
        acls: AclSnapshot
    ) -> Bool {
        if superUsers.contains(principal.description) { return true }
        let entries = acls.entries(matching: type, name: name)
        if entries.isEmpty { return allowEveryoneIfNoAclFound }
        let principals: Set<String> = [principal.description, AccessControlEntry.wildcardPrincipal]
        func matches(
            _ entry: AccessControlEntry,
            _ operations: Set<AclOperation>,
            _ permission: AclPermissionType
        )
            -> Bool
        {
            entry.permission == permission && principals.contains(entry.principal)
                && (entry.host == host || entry.host == "*")
                && (operations.contains(entry.operation) || entry.operation == .all)
        }
        if entries.contains(where: { matches($0, [operation], .deny) }) { return false }
        let allowing: Set<AclOperation> =
            switch operation {
            case .describe: [.describe, .read, .write, .delete, .alter]
            case .describeConfigs: [.describeConfigs, .alterConfigs]
            default: [operation]
            }
        return entries.contains { matches($0, allowing, .allow) }
    }
}

extension AclAuthorizer {
    /// KIP-679's `authorizeByResourceType`: may `principal` perform `operation` on *some* resource of this type?
    /// (An idempotent producer without Cluster:IdempotentWrite needs Write on any topic.) A literal DENY on `*`
    /// refuses; otherwise an ALLOW counts unless a DENY covers it: a literal name denied literally or by a prefix, a
    /// prefix denied by a shorter (or equal) denied prefix. Without any ACL of the type, `allow.everyone.if.no.acl.found`
    /// decides.
    public func authorizeAny(
        _ principal: KafkaPrincipal,
        host: String,
        operation: AclOperation,
        resource type: ResourceType,
        acls: AclSnapshot
    ) -> Bool {
        if superUsers.contains(principal.description) { return true }
        let ofType = acls.patterns.filter { $0.key.type == type }
        if ofType.isEmpty { return allowEveryoneIfNoAclFound }
        let principals: Set<String> = [principal.description, AccessControlEntry.wildcardPrincipal]
        var deniedLiterals: Set<String> = []
        var deniedPrefixes: [String] = []
        var allowed: [ResourcePattern] = []
        for (pattern, entries) in ofType {
            for entry in entries
            where principals.contains(entry.principal) && (entry.host == host || entry.host == "*")
                && (entry.operation == operation || entry.operation == .all)
            {
                switch (entry.permission, pattern.patternType) {
                case (.deny, .literal): deniedLiterals.insert(pattern.name)
                case (.deny, .prefixed): deniedPrefixes.append(pattern.name)
                case (.allow, _): allowed.append(pattern)
                default: break
                }
            }
        }
        if deniedLiterals.contains(ResourcePattern.wildcard) { return false }
        return allowed.contains { pattern in
            if deniedPrefixes.contains(where: { pattern.name.hasPrefix($0) }) { return false }
            return pattern.patternType == .prefixed || pattern.name == ResourcePattern.wildcard
                || !deniedLiterals.contains(pattern.name)
        }
    }
}

/// Every ACL of the cluster, by resource pattern: an immutable value the broker replaces when a change
/// notification arrives, read by request handlers without a lock.
public struct AclSnapshot: Sendable {
    public private(set) var patterns: [ResourcePattern: Set<AccessControlEntry>]

    public init(_ patterns: [ResourcePattern: Set<AccessControlEntry>] = [:]) {
        self.patterns = patterns.filter { !$0.value.isEmpty }
    }

    /// The entries that apply to a resource named `name`: its literal pattern, the literal wildcard, and every
    /// prefixed pattern that prefixes the name (a prefixed `*` is a prefix like any other, not a wildcard).
    public func entries(matching type: ResourceType, name: String) -> [AccessControlEntry] {
        var result: [AccessControlEntry] = []
        result += patterns[ResourcePattern(type, name, .literal)] ?? []
        if name != ResourcePattern.wildcard {
            result += patterns[ResourcePattern(type, ResourcePattern.wildcard)] ?? []
        }
        for (pattern, entries) in patterns where pattern.type == type && pattern.patternType == .prefixed {
            if name.hasPrefix(pattern.name) { result += entries }
        }
        return result
    }

    /// The snapshot with `pattern`'s entries replaced (none: the pattern removed).
    public func replacing(_ pattern: ResourcePattern, with entries: Set<AccessControlEntry>) -> AclSnapshot {
        var copy = self
        copy.patterns[pattern] = entries.isEmpty ? nil : entries
        return copy
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var result = Substring(self)
        while result.first?.isWhitespace == true { result.removeFirst() }
        while result.last?.isWhitespace == true { result.removeLast() }
        return String(result)
    }
}
