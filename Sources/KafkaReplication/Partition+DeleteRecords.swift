public import KafkaCore
import KafkaStorage

/// DeleteRecords (KIP-107) at a partition: the leader moves its log start offset, and the low watermark (the
/// smallest log start offset among the leader and its in-sync followers) tells when every in-sync replica has.
extension Partition {
    /// Kafka's low watermark: the smallest log start offset among this leader and its in-sync followers (those
    /// that hold the partition's committed data); -1 on a follower.
    public var lowWatermark: Int64 {
        state.withLock { state in
            guard state.leader == localBrokerID else { return -1 }
            return state.isr.reduce(log.logStartOffset) { lowest, replica in
                replica == localBrokerID ? lowest : min(lowest, state.followers[replica]?.logStartOffset ?? -1)
            }
        }
    }

    /// DeleteRecords on the leader: moves the log start offset to `offset` (-1: the high watermark). Returns NONE
    /// and the offset the low watermark must reach, or OFFSET_OUT_OF_RANGE past the high watermark,
    /// NOT_LEADER_OR_FOLLOWER on a follower, KAFKA_STORAGE_ERROR.
    public func deleteRecords(before offset: Int64) -> (KafkaErrorCode, required: Int64) {
        let (isLeader, highWatermark) = state.withLock { ($0.leader == localBrokerID, $0.highWatermark) }
        guard isLeader else { return (.notLeaderOrFollower, -1) }
        let target = offset == -1 ? highWatermark : offset
        guard target >= 0, target <= highWatermark else { return (.offsetOutOfRange, -1) }
        do {
            // Under the append lock, so that a move to another log directory cannot lose the new start offset.
            let moved = try producerStates.withLock { _ throws(StorageError) in
                try log.incrementLogStartOffset(to: target, highWatermark: highWatermark)
            }
            return (.none, max(moved, target))
        } catch {
            return (error.errorCode, -1)
        }
    }
}
