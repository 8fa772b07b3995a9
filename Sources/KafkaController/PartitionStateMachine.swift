import KafkaCore
import Logging

/// A partition's state as the controller sees it (Kafka's `PartitionState`s): `new` once its assignment is known,
/// `online` with a live leader, `offline` without one, `nonExistent` before creation and after deletion.
enum PartitionState: String, Sendable, CustomStringConvertible {
    case nonExistent = "NonExistentPartition"
    case new = "NewPartition"
    case online = "OnlinePartition"
    case offline = "OfflinePartition"

    /// The states a partition may move here from (Kafka's `validPreviousStates`).
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

/// Kafka's partition state machine (`ZkPartitionStateMachine`), the bookkeeping half: every partition's state and
/// the rule that a move must come from one of the target's valid previous states. An illegal move is refused (the
/// partition keeps its state) and reported in one error line; the callers act only on the partitions it accepted.
/// Owned by the `Controller` and touched only from its event loop.
struct PartitionStateMachine {
    private(set) var states: [TopicPartition: PartitionState] = [:]

    func state(of partition: TopicPartition) -> PartitionState { states[partition] ?? .nonExistent }

    /// Moves each of `partitions` to `target` when it may; returns those moved.
    @discardableResult
    mutating func move(
        _ partitions: some Sequence<TopicPartition>,
        to target: PartitionState,
        logger: Logger
    ) -> [TopicPartition] {
        var moved: [TopicPartition] = []
        var refused: [(TopicPartition, PartitionState)] = []
        for partition in partitions {
            let current = state(of: partition)
            guard target.validPreviousStates.contains(current) else {
                refused.append((partition, current))
                continue
            }
            states[partition] = target == .nonExistent ? nil : target
            moved.append(partition)
        }
        if !refused.isEmpty {
            logger.error(
                "Illegal partition state change refused",
                metadata: [
                    "target": "\(target)",
                    "partitions": "\(refused.map { "\($0.0) (\($0.1))" }.sorted().joined(separator: ", "))",
                ]
            )
        }
        return moved
    }

    /// A failover's starting point, read from ZooKeeper rather than moved to (Kafka's `initializePartitionState`).
    mutating func initialize(_ partition: TopicPartition, _ state: PartitionState) {
        states[partition] = state == .nonExistent ? nil : state
    }

    mutating func removeAll() { states = [:] }
}
