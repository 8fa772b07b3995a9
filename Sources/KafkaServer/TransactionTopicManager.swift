public import KafkaCoordinator
public import KafkaCore
import KafkaProtocol
public import KafkaReplication
import NIOCore

/// The broker's side of `__transaction_state`: loading a partition into the `TransactionCoordinator` when this broker
/// becomes its leader (its leader epoch is the coordinator epoch), resigning it otherwise, and the appends the
/// coordinator makes (acks=all, errors mapped as Kafka's coordinator maps them). Created once at startup;
/// LeaderAndIsr calls `leadershipChanged`.
public struct TransactionTopicManager: Sendable {
    public static let topic = "__transaction_state"

    public let coordinator: TransactionCoordinator

    /// Called for every `__transaction_state` partition in a LeaderAndIsr request, after the replica manager applied
    /// it: a new leader replays the partition's records; a follower forgets its ids.
    public func leadershipChanged(
        _ partitionID: Int32,
        isLeader: Bool,
        leaderEpoch: Int32,
        replicaManager: ReplicaManager
    ) async {
        guard isLeader, let partition = replicaManager.partition(TopicPartition(Self.topic, partitionID)) else {
            await coordinator.resign(partition: partitionID)
            return
        }
        // The controller repeats LeaderAndIsr (a broker's restart, an ISR change): nothing to load again.
        if await coordinator.isCoordinator(partition: partitionID, coordinatorEpoch: leaderEpoch) { return }
        await coordinator.beginLoading(partition: partitionID, coordinatorEpoch: leaderEpoch)
        var records: [(key: ByteBuffer, value: ByteBuffer?)] = []
        let start = partition.log.logStartOffset
        partition.log.forEachBatch(from: start) { batch in
            guard !batch.isControl, let batchRecords = try? batch.records(decompressionLimit: 64 << 20) else { return }
            for record in batchRecords where record.offset >= start {
                if let key = record.key { records.append((key, record.value)) }
            }
        }
        await coordinator.completeLoading(partition: partitionID, coordinatorEpoch: leaderEpoch, records: records)
    }

    /// Appends the coordinator's records to `partition` with acks=all and waits for them to be replicated; the
    /// error as the coordinator answers it (Kafka's `TransactionStateManager.appendTransactionToLog`).
    static func append(
        _ records: ByteBuffer,
        partition: Int32,
        replicaManager: ReplicaManager,
        timeoutMs: Int32
    ) async -> KafkaErrorCode {
        let topicPartition = TopicPartition(topic, partition)
        let result = replicaManager.appendRecords(topicPartition, records: records, requiredAcks: -1)
        var code = result.errorCode
        if code == .none, let target = result.replicationTarget {
            code = await replicaManager.waitForReplication(
                topicPartition,
                target: target,
                deadline: .now + .milliseconds(Int64(timeoutMs))
            )
        }
        switch code {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError:
            return .notCoordinator
        case .messageTooLarge, .recordListTooLarge:
            return .unknownServerError
        default:
            return code
        }
    }
}
