import Synchronization
public import ZooKeeper

/// A ZooKeeper ensemble in memory, for unit tests of the code above `ZooKeeperOperations` (the controller, above
/// all): one tree shared by every session made from it, with ZooKeeper's rules — data versions and conditional
/// writes, ephemeral nodes owned by a session and deleted when it expires, sequential names, `multi` applied all or
/// nothing, and one-shot data and child watches delivered to the session that set them.
///
/// Lifecycle: `session()` opens a session; `InMemoryZooKeeper.Session.expire()` ends it (its ephemeral nodes go,
/// firing other sessions' watches; its watches are lost; its calls fail with `sessionExpired`) and `reconnect()`
/// opens a new one on the same handle, as `ZooKeeperClient.connect()` does after an expiry. Any task may call; one
/// lock guards the whole tree, which is fine for tests.
public final class InMemoryZooKeeper: Sendable {
    let tree = Mutex(ZooKeeperTree())

    public init() {}

    /// A new client session on this ensemble.
    public func session() -> Session {
        Session(ensemble: self, id: tree.withLock { $0.openSession() })
    }

    /// The child names of `path`, sorted, read outside any session (for assertions).
    public func children(_ path: String) -> [String] {
        tree.withLock { $0.nodes[path]?.children.sorted() ?? [] }
    }

    /// One client's session. Implements every `ZooKeeperOperations` call against the shared tree.
    public final class Session: ZooKeeperOperations {
        let ensemble: InMemoryZooKeeper
        private let current: Mutex<Int64>

        init(ensemble: InMemoryZooKeeper, id: Int64) {
            self.ensemble = ensemble
            self.current = Mutex(id)
        }

        public var sessionID: Int64? { current.withLock { $0 } }

        /// Ends the session as a server would on a timeout.
        public func expire() {
            let id = current.withLock { $0 }
            ensemble.tree.withLock { $0.expire(id) }
        }

        /// Opens a new session for this handle (after `expire()`).
        public func reconnect() {
            let old = current.withLock { $0 }
            let id = ensemble.tree.withLock { tree in
                tree.moveSubscribers(from: old)
            }
            current.withLock { $0 = id }
        }

        private func run<Result>(
            _ path: String?,
            _ body: (inout ZooKeeperTree, Int64) throws(ZooKeeperError) -> Result
        ) throws -> Result {
            let id = current.withLock { $0 }
            do {
                return try ensemble.tree.withLock { tree throws(ZooKeeperError) in
                    guard tree.isLive(id) else { throw ZooKeeperError(.sessionExpired) }
                    return try body(&tree, id)
                }
            } catch {
                var error = error
                if error.path == nil { error.path = path }
                throw error
            }
        }

        public func create(_ path: String, data: [UInt8], mode: CreateMode) async throws -> String {
            try run(path) { tree, id throws(ZooKeeperError) in
                try tree.commit(.create(path: path, data: data, mode: mode), session: id).createdPath
            }
        }

        public func getData(_ path: String, watch: Bool) async throws -> (data: [UInt8]?, stat: ZooKeeperStat) {
            try run(path) { tree, id throws(ZooKeeperError) in
                guard let node = tree.nodes[path] else { throw ZooKeeperError(.noNode) }
                if watch { tree.watch(path, children: false, session: id) }
                return (node.data, node.stat)
            }
        }

        public func setData(_ path: String, data: [UInt8], version: Int32?) async throws -> ZooKeeperStat {
            try run(path) { tree, id throws(ZooKeeperError) in
                guard
                    case .dataSet(let stat) = try tree.commit(
                        .setData(path: path, data: data, version: version),
                        session: id
                    )
                else { preconditionFailure("setData commits a dataSet") }
                return stat
            }
        }

        public func delete(_ path: String, version: Int32?) async throws {
            try run(path) { tree, id throws(ZooKeeperError) in
                _ = try tree.commit(.delete(path: path, version: version), session: id)
            }
        }

        public func exists(_ path: String, watch: Bool) async throws -> ZooKeeperStat? {
            try run(path) { tree, id throws(ZooKeeperError) in
                if watch { tree.watch(path, children: false, session: id) }
                return tree.nodes[path]?.stat
            }
        }

        public func children(_ path: String, watch: Bool) async throws -> [String] {
            try run(path) { tree, id throws(ZooKeeperError) in
                guard let node = tree.nodes[path] else { throw ZooKeeperError(.noNode) }
                if watch { tree.watch(path, children: true, session: id) }
                return node.children.sorted()
            }
        }

        public func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
            try run(nil) { tree, id throws(ZooKeeperError) in try tree.commit(operations, session: id) }
        }

        public func watchEvents() -> AsyncStream<WatchEvent> {
            let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self)
            let id = current.withLock { $0 }
            ensemble.tree.withLock { $0.subscribe(continuation, session: id) }
            return stream
        }
    }
}

extension ZooKeeperOperationResult {
    fileprivate var createdPath: String {
        guard case .created(let path) = self else { preconditionFailure("create commits a created path") }
        return path
    }
}
