/// A transactional id's state at its transaction coordinator, as Kafka 2.8's `TransactionState` defines them: the
/// byte written in `__transaction_state` values and the states each may follow.
///
/// - Empty: no transaction open (a new id, or the last one finished). From Empty, CompleteCommit, CompleteAbort.
/// - Ongoing: partitions or offsets added. From Ongoing, Empty, CompleteCommit, CompleteAbort.
/// - PrepareCommit / PrepareAbort: EndTxn accepted and logged; markers go out. From Ongoing (PrepareAbort also
///   from PrepareEpochFence).
/// - CompleteCommit / CompleteAbort: every marker acknowledged. From PrepareCommit / PrepareAbort.
/// - Dead: the id expired; written as a tombstone, never as a value. From Empty, CompleteCommit, CompleteAbort.
/// - PrepareEpochFence: in memory only, while a new producer instance fences an open transaction (it becomes
///   PrepareAbort with the bumped epoch). From Ongoing.
public enum TransactionState: UInt8, Sendable, Equatable, CaseIterable {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// Kafka's name (DescribeTransactions, ListTransactions, log lines).
    public var name: String {
        switch self {
        case .empty: "Empty"
        case .ongoing: "Ongoing"
        case .prepareCommit: "PrepareCommit"
        case .prepareAbort: "PrepareAbort"
        case .completeCommit: "CompleteCommit"
        case .completeAbort: "CompleteAbort"
        case .dead: "Dead"
        case .prepareEpochFence: "PrepareEpochFence"
        }
    }

    public var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: [.empty, .completeCommit, .completeAbort]
        case .ongoing: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: [.ongoing]
        case .prepareAbort: [.ongoing, .prepareEpochFence]
        case .completeCommit: [.prepareCommit]
        case .completeAbort: [.prepareAbort]
        case .dead: [.empty, .completeCommit, .completeAbort]
        case .prepareEpochFence: [.ongoing]
        }
    }

    /// Whether a value with this state is written to `__transaction_state` (Dead is a tombstone; PrepareEpochFence
    /// is never written).
    public var isWrittenToLog: Bool { self != .dead && self != .prepareEpochFence }
}
