import CZooKeeper

extension ZooKeeperClient: ZooKeeperOperations {
    /// Creates a znode and returns the path actually created (with the sequence suffix of a sequential node).
    /// Throws `nodeExists` when it exists and `noNode` when its parent does not.
    @discardableResult
    public func create(_ path: String, data: [UInt8], mode: CreateMode) async throws -> String {
        let acl = configuration.acl.vector(for: path)
        let reply = try await submit(path: path) { handle, request in
            withCData(data) { value, length in
                zoo_acreate(
                    handle,
                    path,
                    value,
                    length,
                    acl,
                    mode.flags,
                    stringCompletion,
                    request
                )
            }
        }
        guard case .path(let created) = reply else { preconditionFailure("create replied \(reply)") }
        return created
    }

    /// The data and stat of a znode, whatever its size (the asynchronous C call hands over the whole value).
    /// Data is nil for a node created with null data. With `watch`, the next change or deletion of the node
    /// arrives on `watchEvents()`.
    public func getData(_ path: String, watch: Bool) async throws -> (data: [UInt8]?, stat: ZooKeeperStat) {
        let reply = try await submit(path: path) { handle, request in
            zoo_aget(handle, path, watch ? 1 : 0, dataCompletion, request)
        }
        guard case .data(let data, let stat) = reply else { preconditionFailure("getData replied \(reply)") }
        return (data, stat)
    }

    /// Replaces a znode's data, if its version is `version` (nil: any), and returns the new stat.
    @discardableResult
    public func setData(_ path: String, data: [UInt8], version: Int32?) async throws -> ZooKeeperStat {
        let reply = try await submit(path: path) { handle, request in
            withCData(data) { value, length in
                zoo_aset(handle, path, value, length, version ?? -1, statCompletion, request)
            }
        }
        guard case .stat(let stat) = reply else { preconditionFailure("setData replied \(reply)") }
        return stat
    }

    /// Deletes a znode, if its version is `version` (nil: any). Throws `notEmpty` when it has children.
    public func delete(_ path: String, version: Int32?) async throws {
        _ = try await submit(path: path) { handle, request in
            zoo_adelete(handle, path, version ?? -1, voidCompletion, request)
        }
    }

    /// The znode's stat, or nil when it does not exist. With `watch`, its next creation, change or deletion
    /// arrives on `watchEvents()` (the watch is set whether the node exists or not).
    public func exists(_ path: String, watch: Bool) async throws -> ZooKeeperStat? {
        do {
            let reply = try await submit(path: path) { handle, request in
                zoo_aexists(handle, path, watch ? 1 : 0, statCompletion, request)
            }
            guard case .stat(let stat) = reply else { preconditionFailure("exists replied \(reply)") }
            return stat
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The names (not paths) of a znode's children, in the server's order. With `watch`, the next change to the
    /// set of children, or the node's deletion, arrives on `watchEvents()`.
    public func children(_ path: String, watch: Bool) async throws -> [String] {
        let reply = try await submit(path: path) { handle, request in
            zoo_aget_children2(handle, path, watch ? 1 : 0, childrenCompletion, request)
        }
        guard case .children(let names) = reply else { preconditionFailure("children replied \(reply)") }
        return names
    }

    /// Commits the operations as one transaction: all or nothing. On failure the error's
    /// `failedOperationIndex` names the operation that failed.
    @discardableResult
    public func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        guard !operations.isEmpty else { return [] }
        let storage = MultiStorage(operations, acl: configuration.acl)
        let reply = try await submit(path: nil, multiStorage: storage) { handle, request in
            zoo_amulti(handle, Int32(operations.count), storage.ops, storage.results, multiCompletion, request)
        }
        guard case .multi(let results) = reply else { preconditionFailure("multi replied \(reply)") }
        return results
    }
}

/// Passes `data` to C as (pointer, length), never as NULL: a NULL value would store null data, not empty data.
private func withCData<Result>(_ data: [UInt8], _ body: (UnsafePointer<CChar>, Int32) -> Result) -> Result {
    if data.isEmpty {
        var empty: CChar = 0
        return withUnsafePointer(to: &empty) { body($0, 0) }
    }
    return data.withUnsafeBytes { bytes in
        body(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(data.count))
    }
}
