import Foundation
import KafkaSecurity
import KafkaZooKeeper

/// Keeps the `BrokerAuthorizer`'s ACLs current, as Kafka's `AclAuthorizer` does with its two
/// `ZkNodeChangeNotificationListener`s: each new notification under `/kafka-acl-changes` (literal patterns) or
/// `/kafka-acl-extended-changes` (prefixed) names a pattern, whose ACLs are read again from ZooKeeper. Notifications
/// older than 15 minutes are deleted as they are seen (Kafka's `changeExpirationMs`). The snapshot read at startup
/// covers what came before; an actor, so notifications are handled one at a time.
actor AclChangeListener {
    let services: BrokerServices
    private var lastSequence: [String: Int] = [:]

    static let changeExpirationMs: Int64 = 15 * 60 * 1000

    init(services: BrokerServices) { self.services = services }

    static let paths = [AclZNodes.literalChanges, AclZNodes.extendedChanges]

    /// Sets the watches and remembers where the notifications end (the startup load read everything before).
    func start() async {
        guard services.authorizer.isEnabled else { return }
        for path in Self.paths {
            let children = (try? await services.zk.zookeeper.children(path, watch: true)) ?? []
            lastSequence[path] = children.compactMap(AclZNodes.sequence).max() ?? -1
        }
    }

    /// A watch on `path` fired: apply the notifications not seen yet, purge the expired ones.
    func process(_ path: String) async {
        guard services.authorizer.isEnabled else { return }
        let zookeeper = services.zk.zookeeper
        let children = (try? await zookeeper.children(path, watch: true)) ?? []
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let ordered = children.compactMap { name in AclZNodes.sequence(name).map { ($0, name) } }.sorted { $0.0 < $1.0 }
        for (sequence, child) in ordered {
            let childPath = "\(path)/\(child)"
            guard let (data, stat) = try? await zookeeper.getData(childPath) else { continue }
            if sequence > lastSequence[path] ?? -1 {
                lastSequence[path] = sequence
                if let pattern = try? AclZNodes.decodeChange(data, path: childPath) {
                    await reload(pattern)
                } else {
                    services.logger.warning(
                        "Ignoring an unreadable ACL change notification",
                        metadata: ["path": "\(childPath)"]
                    )
                }
            }
            if stat.ctime + Self.changeExpirationMs < now {
                try? await zookeeper.delete(childPath, version: nil)
            }
        }
    }

    private func reload(_ pattern: ResourcePattern) async {
        do {
            let entries = try await services.zk.getAcls(pattern).entries
            services.authorizer.replace(pattern, with: entries)
            services.logger.info(
                "Applied an ACL change",
                metadata: ["resource": "\(pattern)", "acls": "\(entries.count)"]
            )
        } catch {
            services.logger.warning("Cannot read the ACLs of \(pattern): \(error)")
        }
    }
}
