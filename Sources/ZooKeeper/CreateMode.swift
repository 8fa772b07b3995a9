import CZooKeeper

/// How a created znode lives: persistent until deleted, or ephemeral until its session ends; a sequential node
/// has a 10-digit counter, kept per parent, appended to the name it was given.
public enum CreateMode: Sendable, Equatable {
    case persistent
    case ephemeral
    case persistentSequential
    case ephemeralSequential

    var flags: Int32 {
        switch self {
        case .persistent: ZOO_PERSISTENT
        case .ephemeral: ZOO_EPHEMERAL
        case .persistentSequential: ZOO_PERSISTENT_SEQUENTIAL
        case .ephemeralSequential: ZOO_EPHEMERAL_SEQUENTIAL
        }
    }

    var isSequential: Bool { self == .persistentSequential || self == .ephemeralSequential }
}
