import ZooKeeper

/// The state of an `InMemoryZooKeeper`: znodes by absolute path, the transaction counter, live sessions, and each
/// session's one-shot watches and event subscribers. A value: `multi` applies its operations to a copy and keeps
/// the copy only when all succeed. Only `InMemoryZooKeeper` touches it, under its lock.
struct ZooKeeperTree {
    struct Node {
        var data: [UInt8]?
        var stat: ZooKeeperStat
        var children: Set<String> = []
    }

    private struct Watches {
        var data: Set<String> = []
        var children: Set<String> = []
        var subscribers: [AsyncStream<WatchEvent>.Continuation] = []
    }

    private(set) var nodes: [String: Node]
    private var zxid: Int64 = 0
    private var nextSessionID: Int64 = 0x1000
    private var sessions: [Int64: Watches] = [:]
    /// Event subscribers of expired sessions, until their client reconnects (its stream outlives sessions).
    private var parked: [Int64: [AsyncStream<WatchEvent>.Continuation]] = [:]
    /// Events of the operation being applied, delivered once it commits.
    private var fired: [(session: Int64, event: WatchEvent)] = []

    init() {
        nodes = ["/": Node(data: nil, stat: Self.stat(zxid: 0, owner: 0, length: 0))]
    }

    // MARK: Sessions

    mutating func openSession() -> Int64 {
        nextSessionID += 1
        sessions[nextSessionID] = Watches()
        return nextSessionID
    }

    func isLive(_ session: Int64) -> Bool { sessions[session] != nil }

    /// The session ends: its watches are lost and its ephemeral nodes deleted (firing other sessions' watches).
    mutating func expire(_ session: Int64) {
        guard var watches = sessions[session] else { return }
        watches.data = []
        watches.children = []
        sessions[session] = watches
        let owned = nodes.filter { $0.value.stat.ephemeralOwner == session }.keys.sorted(by: >)
        for path in owned { try? remove(path) }
        sessions[session] = nil
        parked[session] = watches.subscribers
        deliver()
    }

    /// A new session for a client whose session `old` expired; its event subscribers carry over.
    mutating func moveSubscribers(from old: Int64) -> Int64 {
        let id = openSession()
        let subscribers = parked.removeValue(forKey: old) ?? sessions[old]?.subscribers ?? []
        sessions[id]?.subscribers = subscribers
        return id
    }

    mutating func subscribe(_ continuation: AsyncStream<WatchEvent>.Continuation, session: Int64) {
        if sessions[session] != nil {
            sessions[session]?.subscribers.append(continuation)
        } else {
            parked[session, default: []].append(continuation)
        }
    }

    mutating func watch(_ path: String, children: Bool, session: Int64) {
        if children {
            sessions[session]?.children.insert(path)
        } else {
            sessions[session]?.data.insert(path)
        }
    }

    // MARK: Writes

    /// One write outside a transaction: its error carries no operation index.
    mutating func commit(
        _ operation: ZooKeeperOperation,
        session: Int64
    ) throws(ZooKeeperError) -> ZooKeeperOperationResult {
        var copy = self
        let result = try copy.apply(operation, session: session)
        self = copy
        deliver()
        return result
    }

    /// A transaction: every operation or none.
    mutating func commit(
        _ operations: [ZooKeeperOperation],
        session: Int64
    ) throws(ZooKeeperError) -> [ZooKeeperOperationResult] {
        var copy = self
        var results: [ZooKeeperOperationResult] = []
        for (index, operation) in operations.enumerated() {
            do {
                results.append(try copy.apply(operation, session: session))
            } catch {
                throw ZooKeeperError(error.code, path: operation.path, failedOperationIndex: index)
            }
        }
        self = copy
        deliver()
        return results
    }

    private mutating func apply(
        _ operation: ZooKeeperOperation,
        session: Int64
    ) throws(ZooKeeperError) -> ZooKeeperOperationResult {
        switch operation {
        case .create(let path, let data, let mode):
            return .created(path: try create(path, data: data, mode: mode, session: session))
        case .setData(let path, let data, let version):
            guard var node = nodes[path] else { throw ZooKeeperError(.noNode) }
            if let version, version != node.stat.version { throw ZooKeeperError(.badVersion) }
            zxid += 1
            node.data = data
            node.stat.version += 1
            node.stat.mzxid = zxid
            node.stat.mtime = zxid
            node.stat.dataLength = Int32(data.count)
            nodes[path] = node
            fire(path, .nodeDataChanged, dataWatchers: true, childWatchers: false)
            return .dataSet(node.stat)
        case .delete(let path, let version):
            guard let node = nodes[path] else { throw ZooKeeperError(.noNode) }
            if let version, version != node.stat.version { throw ZooKeeperError(.badVersion) }
            guard node.children.isEmpty else { throw ZooKeeperError(.notEmpty) }
            try remove(path)
            return .deleted
        case .check(let path, let version):
            guard let node = nodes[path] else { throw ZooKeeperError(.noNode) }
            guard node.stat.version == version else { throw ZooKeeperError(.badVersion) }
            return .checked
        }
    }

    private mutating func create(
        _ path: String,
        data: [UInt8],
        mode: CreateMode,
        session: Int64
    ) throws(ZooKeeperError) -> String {
        let parentPath = Self.parent(of: path)
        guard path.hasPrefix("/"), path != "/", var parent = nodes[parentPath] else { throw ZooKeeperError(.noNode) }
        guard parent.stat.ephemeralOwner == 0 else { throw ZooKeeperError(.noChildrenForEphemerals) }
        var created = path
        if mode == .persistentSequential || mode == .ephemeralSequential {
            let counter = String(parent.stat.cversion)
            created += String(repeating: "0", count: max(0, 10 - counter.count)) + counter
        }
        guard nodes[created] == nil else { throw ZooKeeperError(.nodeExists) }
        zxid += 1
        let ephemeral = mode == .ephemeral || mode == .ephemeralSequential
        nodes[created] = Node(
            data: data,
            stat: Self.stat(zxid: zxid, owner: ephemeral ? session : 0, length: data.count)
        )
        parent.children.insert(Self.name(of: created))
        nodes[parentPath] = parent
        childrenChanged(parentPath)
        fire(created, .nodeCreated, dataWatchers: true, childWatchers: false)
        fire(parentPath, .nodeChildrenChanged, dataWatchers: false, childWatchers: true)
        return created
    }

    private mutating func remove(_ path: String) throws(ZooKeeperError) {
        guard nodes.removeValue(forKey: path) != nil else { throw ZooKeeperError(.noNode) }
        zxid += 1
        let parentPath = Self.parent(of: path)
        nodes[parentPath]?.children.remove(Self.name(of: path))
        childrenChanged(parentPath)
        fire(path, .nodeDeleted, dataWatchers: true, childWatchers: true)
        fire(parentPath, .nodeChildrenChanged, dataWatchers: false, childWatchers: true)
    }

    /// A child of `path` came or went in transaction `zxid`: its child version, pzxid and count follow.
    private mutating func childrenChanged(_ path: String) {
        guard var node = nodes[path] else { return }
        node.stat.cversion += 1
        node.stat.pzxid = zxid
        node.stat.numChildren = Int32(node.children.count)
        nodes[path] = node
    }

    // MARK: Watches

    /// Takes the matching one-shot watches of every session and queues their event.
    private mutating func fire(_ path: String, _ kind: WatchEvent.Kind, dataWatchers: Bool, childWatchers: Bool) {
        for (session, var watches) in sessions {
            let data = dataWatchers && watches.data.remove(path) != nil
            let children = childWatchers && watches.children.remove(path) != nil
            guard data || children else { continue }
            sessions[session] = watches
            fired.append((session, WatchEvent(kind: kind, path: path)))
        }
    }

    private mutating func deliver() {
        for (session, event) in fired {
            for subscriber in sessions[session]?.subscribers ?? [] { subscriber.yield(event) }
        }
        fired = []
    }

    // MARK: Paths

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func name(of path: String) -> String {
        String(path[path.index(after: path.lastIndex(of: "/")!)...])
    }

    static func stat(zxid: Int64, owner: Int64, length: Int) -> ZooKeeperStat {
        ZooKeeperStat(
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            ctime: zxid,
            mtime: zxid,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeralOwner: owner,
            dataLength: Int32(length),
            numChildren: 0
        )
    }
}
