import KafkaCore
import Logging

/// A state of one of the controller's state machines: the states a thing may move here from (Kafka's
/// `validPreviousStates`), and the state of a thing the machine does not hold.
protocol ControllerState: Hashable, Sendable, CustomStringConvertible {
    static var nonExistent: Self { get }
    var validPreviousStates: Set<Self> { get }
}

/// Kafka's controller state machines (`ZkPartitionStateMachine`, `ZkReplicaStateMachine`), the bookkeeping half:
/// every key's state and the rule that a move must come from one of the target's valid previous states. An illegal
/// move is refused (the key keeps its state) and reported in one error line; the callers act only on the keys it
/// accepted. Owned by the `Controller` and touched only from its event loop.
struct StateMachine<Key: Hashable & Comparable & Sendable & CustomStringConvertible, State: ControllerState> {
    /// What the error line calls the keys ("partition", "replica").
    let kind: String
    private(set) var states: [Key: State] = [:]

    init(kind: String) { self.kind = kind }

    func state(of key: Key) -> State { states[key] ?? .nonExistent }

    /// Moves each of `keys` to `target` when it may; returns those moved.
    @discardableResult
    mutating func move(_ keys: some Sequence<Key>, to target: State, logger: Logger) -> [Key] {
        var moved: [Key] = []
        var refused: [(Key, State)] = []
        for key in keys {
            let current = state(of: key)
            guard target.validPreviousStates.contains(current) else {
                refused.append((key, current))
                continue
            }
            states[key] = target == .nonExistent ? nil : target
            moved.append(key)
        }
        if !refused.isEmpty {
            logger.error(
                "Illegal \(kind) state change refused",
                metadata: [
                    "target": "\(target)",
                    "\(kind)s": "\(refused.sorted { $0.0 < $1.0 }.map { "\($0.0) (\($0.1))" }.joined(separator: ", "))",
                ]
            )
        }
        return moved
    }

    /// A failover's starting point, read from ZooKeeper rather than moved to (Kafka's `initializePartitionState`,
    /// `initializeReplicaState`).
    mutating func initialize(_ key: Key, _ state: State) {
        states[key] = state == .nonExistent ? nil : state
    }

    mutating func removeAll() { states = [:] }
}

/// A partition's state as the controller sees it (Kafka's `PartitionState`s): `new` once its assignment is known,
/// `online` with a live leader, `offline` without one, `nonExistent` before creation and after deletion.
enum PartitionState: String, ControllerState {
    case nonExistent = "NonExistentPartition"
    case new = "NewPartition"
    case online = "OnlinePartition"
    case offline = "OfflinePartition"

    var validPreviousStates: Set<PartitionState> {
        switch self {
        case .nonExistent: [.offline]
        case .new: [.nonExistent]
        case .online: [.new, .online, .offline]
        case .offline: [.new, .online, .offline]
        }
    }

    var description: String { rawValue }
}

/// Kafka's partition state machine.
typealias PartitionStateMachine = StateMachine<TopicPartition, PartitionState>
