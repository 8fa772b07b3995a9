import CZooKeeper

/// The ACL a client gives the znodes it creates. `open` is ZooKeeper's OPEN_ACL_UNSAFE (anyone may do anything),
/// Kafka's default. `secure` is Kafka's `zookeeper.set.acl=true` (`ZkData.defaultAcls`): the creator — the session's
/// authenticated identity, `auth` scheme — may do anything and the world may read, except under a sensitive prefix
/// (credentials, broker configs), which the world may not read, and at an open path (the old consumers' `/consumers`,
/// which every consumer writes), which stays open. Paths are the client's own (relative to its chroot).
public enum ZooKeeperACL: Sendable, Equatable {
    case open
    case secure(sensitivePrefixes: [String], openPaths: [String])

    /// The C ACL list for a znode created at `path` (constant C data).
    func vector(for path: String) -> UnsafeMutablePointer<ACL_vector> {
        switch self {
        case .open:
            return czk_open_acl_unsafe()
        case .secure(let sensitive, let open):
            if open.contains(path) { return czk_open_acl_unsafe() }
            if sensitive.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return czk_creator_only_acl() }
            return czk_secure_acl()
        }
    }
}
