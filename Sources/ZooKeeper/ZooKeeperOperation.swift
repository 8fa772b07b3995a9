/// One step of a `multi` transaction. All steps commit together or none does.
///
/// A `version` of nil matches any version; otherwise the step fails with `badVersion` unless the node's data
/// version equals it. `check` changes nothing and exists only to make the transaction conditional.
public enum ZooKeeperOperation: Sendable, Equatable {
    case create(path: String, data: [UInt8], mode: CreateMode)
    case delete(path: String, version: Int32?)
    case setData(path: String, data: [UInt8], version: Int32?)
    case check(path: String, version: Int32)

    public var path: String {
        switch self {
        case .create(let path, _, _), .delete(let path, _), .setData(let path, _, _), .check(let path, _): path
        }
    }
}

/// What one step of a committed `multi` produced, in the order of the steps.
public enum ZooKeeperOperationResult: Sendable, Equatable {
    /// The path actually created (with its sequence suffix for a sequential node).
    case created(path: String)
    case deleted
    case dataSet(ZooKeeperStat)
    case checked
}
