public import KafkaSecurity

/// Kafka 2.8's ACL store in ZooKeeper (`ZkData.scala`: `ZkAclStore`, `ZkAclChangeStore`, `ResourceZNode`):
///
/// - a literal pattern's ACLs in `/kafka-acl/<Type>/<name>`, a prefixed pattern's in
///   `/kafka-acl-extended/prefixed/<Type>/<name>` (`<Type>`: `Topic`, `Group`, `Cluster`, `TransactionalId`,
///   `DelegationToken`; names are not escaped, as Kafka's are not);
/// - the value `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read",
///   "host":"*"}]}` (PascalCase names, read case-insensitively); a pattern without ACLs has no znode;
/// - after each change one sequential notification: `/kafka-acl-changes/acl_changes_<seq>` holding `TOPIC:foo`
///   for a literal pattern (2.0-2.3 wrote `Topic:foo`; both are read), or
///   `/kafka-acl-extended-changes/acl_changes_<seq>` holding
///   `{"version":1,"resourceType":"TOPIC","name":"foo","patternType":"PREFIXED"}` for a prefixed one.
public enum AclZNodes {
    public static let literalRoot = "/kafka-acl"
    public static let extendedRoot = "/kafka-acl-extended/prefixed"
    public static let literalChanges = "/kafka-acl-changes"
    public static let extendedChanges = "/kafka-acl-extended-changes"
    public static let changePrefix = "acl_changes_"

    /// The resource types that have a directory in each store.
    public static let storedTypes: [ResourceType] = [.topic, .group, .cluster, .transactionalID, .delegationToken]

    /// What `AclAuthorizer` creates when it starts (`KafkaZkClient.createAclPaths`).
    public static var paths: [String] {
        var paths: [String] = []
        for root in [literalRoot, extendedRoot] {
            paths.append(root)
            paths += storedTypes.map { "\(root)/\($0.name)" }
        }
        return paths + [literalChanges, extendedChanges]
    }

    public static func root(_ patternType: PatternType) -> String {
        patternType == .prefixed ? extendedRoot : literalRoot
    }

    public static func path(_ pattern: ResourcePattern) -> String {
        "\(root(pattern.patternType))/\(pattern.type.name)/\(pattern.name)"
    }

    public static func changesPath(_ patternType: PatternType) -> String {
        patternType == .prefixed ? extendedChanges : literalChanges
    }

    public static func encode(_ entries: Set<AccessControlEntry>) -> [UInt8] {
        let acls = entries.sorted { $0.description < $1.description }.map {
            [
                "principal": $0.principal, "permissionType": $0.permission.name, "operation": $0.operation.name,
                "host": $0.host,
            ]
        }
        return ZNodeJSON.encode(["version": 1, "acls": acls])
    }

    public static func decode(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> Set<AccessControlEntry> {
        guard let bytes, !bytes.isEmpty else { return [] }
        let object = try ZNodeJSON.decode(bytes, path: path)
        guard let acls = object["acls"] as? [[String: Any]] else { throw .malformed(path: path, reason: "no acls") }
        var entries: Set<AccessControlEntry> = []
        for acl in acls {
            guard let principal = acl["principal"] as? String, let host = acl["host"] as? String,
                let operation = (acl["operation"] as? String).flatMap(AclOperation.init(name:)),
                let permission = (acl["permissionType"] as? String).flatMap(AclPermissionType.init(name:))
            else { throw .malformed(path: path, reason: "an ACL without principal, host, operation or permission") }
            entries.insert(
                AccessControlEntry(principal: principal, host: host, operation: operation, permission: permission)
            )
        }
        return entries
    }

    /// A change notification's value for a pattern (the two stores spell it differently).
    public static func encodeChange(_ pattern: ResourcePattern) -> [UInt8] {
        if pattern.patternType == .prefixed {
            return ZNodeJSON.encode([
                "version": 1, "resourceType": pattern.type.upperName, "name": pattern.name, "patternType": "PREFIXED",
            ])
        }
        return Array("\(pattern.type.upperName):\(pattern.name)".utf8)
    }

    /// The pattern a change notification names.
    public static func decodeChange(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> ResourcePattern {
        guard let bytes, !bytes.isEmpty else { throw .empty(path: path) }
        if bytes.first == UInt8(ascii: "{") {
            let object = try ZNodeJSON.decode(bytes, path: path)
            guard let type = (object["resourceType"] as? String).flatMap(ResourceType.init(name:)),
                let name = object["name"] as? String,
                let patternType = (object["patternType"] as? String).flatMap(PatternType.init(name:))
            else { throw .malformed(path: path, reason: "not a resource pattern") }
            return ResourcePattern(type, name, patternType)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), let type = ResourceType(name: text[..<colon]) else {
            throw .malformed(path: path, reason: "not <type>:<name>: \(text)")
        }
        return ResourcePattern(type, String(text[text.index(after: colon)...]), .literal)
    }

    /// The sequence number of a notification's name (`acl_changes_0000000012` → 12).
    public static func sequence(_ child: String) -> Int? {
        guard child.hasPrefix(changePrefix) else { return nil }
        return Int(child.dropFirst(changePrefix.count))
    }
}
