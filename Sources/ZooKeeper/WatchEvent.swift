import CZooKeeper

/// A one-shot watch firing: what happened to which path (relative to the client's chroot).
///
/// Watches are set by the read calls (`getData`, `exists`, `children` with `watch: true`), fire at most once,
/// survive reconnects within a session, and are lost with the session when it expires.
public struct WatchEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case nodeCreated
        case nodeDeleted
        case nodeDataChanged
        case nodeChildrenChanged
        /// The server dropped the watch without the node changing.
        case notWatching

        init?(cType: Int32) {
            switch cType {
            case ZOO_CREATED_EVENT: self = .nodeCreated
            case ZOO_DELETED_EVENT: self = .nodeDeleted
            case ZOO_CHANGED_EVENT: self = .nodeDataChanged
            case ZOO_CHILD_EVENT: self = .nodeChildrenChanged
            case ZOO_NOTWATCHING_EVENT: self = .notWatching
            default: return nil
            }
        }
    }

    public var kind: Kind
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    public var description: String { "\(kind) \(path)" }
}
