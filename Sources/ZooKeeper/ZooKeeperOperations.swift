/// The calls a ZooKeeper session answers: what `KafkaZkClient` and the tools need of ZooKeeper, and all of it.
/// `ZooKeeperClient` implements it over the C client; `InMemoryZooKeeper` (in `KafkaTestSupport`) over a tree in
/// memory for unit tests of the controller. Paths are relative to the client's chroot.
///
/// Semantics every implementation keeps: `version` nil matches any version, else `badVersion` unless equal; `create`
/// throws `nodeExists` / `noNode` (missing parent); `delete` throws `notEmpty`; watches set by `getData`, `exists`
/// and `children` with `watch: true` fire once on `watchEvents()`; `multi` commits all operations or none, naming
/// the failed one in `failedOperationIndex`.
public protocol ZooKeeperOperations: Sendable {
    /// The current session's id (the `ephemeralOwner` of the ephemeral nodes it creates), once there is one.
    var sessionID: Int64? { get }
    func create(_ path: String, data: [UInt8], mode: CreateMode) async throws -> String
    func getData(_ path: String, watch: Bool) async throws -> (data: [UInt8]?, stat: ZooKeeperStat)
    func setData(_ path: String, data: [UInt8], version: Int32?) async throws -> ZooKeeperStat
    func delete(_ path: String, version: Int32?) async throws
    func exists(_ path: String, watch: Bool) async throws -> ZooKeeperStat?
    func children(_ path: String, watch: Bool) async throws -> [String]
    func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult]
    /// Every watch that fires from now on, for this client's sessions.
    func watchEvents() -> AsyncStream<WatchEvent>
}

extension ZooKeeperOperations {
    @discardableResult
    public func create(_ path: String, data: [UInt8] = []) async throws -> String {
        try await create(path, data: data, mode: .persistent)
    }

    @discardableResult
    public func create(_ path: String, mode: CreateMode) async throws -> String {
        try await create(path, data: [], mode: mode)
    }

    public func getData(_ path: String) async throws -> (data: [UInt8]?, stat: ZooKeeperStat) {
        try await getData(path, watch: false)
    }

    @discardableResult
    public func setData(_ path: String, data: [UInt8]) async throws -> ZooKeeperStat {
        try await setData(path, data: data, version: nil)
    }

    public func delete(_ path: String) async throws {
        try await delete(path, version: nil)
    }

    public func exists(_ path: String) async throws -> ZooKeeperStat? {
        try await exists(path, watch: false)
    }

    public func children(_ path: String) async throws -> [String] {
        try await children(path, watch: false)
    }

    /// Creates `path` and every missing ancestor as persistent nodes with empty data, tolerating nodes that
    /// exist already (also when another client creates them concurrently). `data` goes to the last node only.
    public func createRecursively(_ path: String, data: [UInt8] = []) async throws {
        var prefix = ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            do {
                try await create(prefix, data: index == components.count - 1 ? data : [], mode: .persistent)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            }
        }
    }
}
