public import KafkaSecurity
import ZooKeeper

/// The ACL store's reads and conditional writes (`AclZNodes` states the layout), as `AclAuthorizer` does them:
/// a pattern's ACLs are read with their zkVersion, changed, and written back only if nobody wrote in between
/// (at most 10 tries), its znode deleted when no ACL is left, and one change notification written per change.
extension KafkaZkClient {
    /// Creates the store's directories, as Kafka's `AclAuthorizer` does when it starts.
    public func createAclPaths() async throws {
        for path in AclZNodes.paths { try await zookeeper.createRecursively(path) }
    }

    /// Every ACL in the cluster, by pattern.
    public func getAllAcls() async throws -> [ResourcePattern: Set<AccessControlEntry>] {
        var result: [ResourcePattern: Set<AccessControlEntry>] = [:]
        for patternType in [PatternType.literal, .prefixed] {
            for type in AclZNodes.storedTypes {
                let directory = "\(AclZNodes.root(patternType))/\(type.name)"
                let names: [String]
                do {
                    names = try await zookeeper.children(directory)
                } catch let error as ZooKeeperError where error.code == .noNode {
                    continue
                }
                for name in names {
                    let pattern = ResourcePattern(type, name, patternType)
                    let entries = try await getAcls(pattern).entries
                    if !entries.isEmpty { result[pattern] = entries }
                }
            }
        }
        return result
    }

    /// A pattern's ACLs and its znode's version (nil: no znode).
    public func getAcls(_ pattern: ResourcePattern) async throws -> (entries: Set<AccessControlEntry>, version: Int32?)
    {
        let path = AclZNodes.path(pattern)
        do {
            let (data, stat) = try await zookeeper.getData(path)
            return (try AclZNodes.decode(data, path: path), stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return ([], nil)
        }
    }

    /// Applies `change` to a pattern's ACLs with a conditional write and announces it; returns the ACLs before and
    /// after. Nothing is written when the change leaves them as they were.
    @discardableResult
    public func updateAcls(
        _ pattern: ResourcePattern,
        _ change: @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>) {
        let path = AclZNodes.path(pattern)
        var attempt = 0
        while true {
            attempt += 1
            let (current, version) = try await getAcls(pattern)
            let updated = change(current)
            if updated == current { return (current, updated) }
            do {
                switch (version, updated.isEmpty) {
                case (nil, _):
                    try await zookeeper.createRecursively("\(AclZNodes.root(pattern.patternType))/\(pattern.type.name)")
                    _ = try await zookeeper.create(path, data: AclZNodes.encode(updated), mode: .persistent)
                case (let version?, true):
                    try await zookeeper.delete(path, version: version)
                case (let version?, false):
                    _ = try await zookeeper.setData(path, data: AclZNodes.encode(updated), version: version)
                }
            } catch let error as ZooKeeperError
                where attempt < 10 && [.badVersion, .nodeExists, .noNode].contains(error.code)
            {
                continue
            }
            try await zookeeper.create(
                "\(AclZNodes.changesPath(pattern.patternType))/\(AclZNodes.changePrefix)",
                data: AclZNodes.encodeChange(pattern),
                mode: .persistentSequential
            )
            return (current, updated)
        }
    }
}
