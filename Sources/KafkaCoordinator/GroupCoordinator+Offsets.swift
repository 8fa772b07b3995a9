import Foundation
public import KafkaCore
public import KafkaProtocol
import Logging

/// Committed offsets through the coordinator: commits checked against the group's generation, fetches, retention
/// (KIP-211) and the offsets of deleted partitions. The offsets themselves live in the `OffsetStore`.
extension GroupCoordinator {
    // MARK: Offsets

    /// Checks that a commit may be made (an active member of the current generation, or a standalone consumer of a
    /// group without members) and stores it. Returns the error for every partition.
    public func commitOffsets(
        groupID: String,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String? = nil,
        offsets: [TopicPartition: CommittedOffset]
    ) async -> KafkaErrorCode {
        if isFenced(groupID, memberID, groupInstanceID) { return .fencedInstanceID }
        if let group = groups[groupID], !(generationID < 0 && memberID.isEmpty && group.members.isEmpty) {
            guard group.members[memberID] != nil else { return .unknownMemberID }
            guard generationID == group.generationID else { return .illegalGeneration }
            // As Kafka: members may still commit for their generation while the group prepares a rebalance (from
            // onPartitionsRevoked), not while the leader's assignment is awaited.
            if group.state == .completingRebalance { return .rebalanceInProgress }
            groups[groupID]?.members[memberID]?.lastHeartbeat = clock.milliseconds
        } else if generationID >= 0 {
            return .illegalGeneration
        }
        do {
            try await offsetStore.commit(group: groupID, offsets: offsets)
            // A commit outside group management for a group nobody joined makes it an Empty group (Kafka's
            // `handleCommitOffsets`): ListGroups and DescribeGroups show it until its offsets expire or it is deleted.
            addEmptyGroupIfAbsent(groupID)
            return .none
        } catch {
            logger.error("Offset commit failed: \(error)", metadata: ["group": "\(groupID)"])
            return .coordinatorNotAvailable
        }
    }

    public func fetchOffsets(groupID: String, partitions: [TopicPartition]?) async -> [TopicPartition: CommittedOffset]?
    {
        try? await offsetStore.fetch(group: groupID, partitions: partitions)
    }

    // MARK: Offset expiry

    /// Kafka 2.1+'s retention (KIP-211): the offsets of a group without members expire `retentionMs` after the
    /// group became Empty (after their commit for a group that never had members); a consumer group with members
    /// keeps the offsets of the topics it subscribes to, and the others expire from their commit. Expired offsets
    /// get tombstones; an Empty group left with no offsets is removed (with a group tombstone).
    public func expireOffsets(retentionMs: Int64) async {
        let now = clock.milliseconds
        for groupID in offsetStore.expirableGroups() {
            guard let offsets = try? await offsetStore.fetch(group: groupID, partitions: nil), !offsets.isEmpty else {
                continue
            }
            let group = groups[groupID]
            // A standalone consumer's offsets (no group) have no subscriptions to keep them.
            let subscribed = group == nil ? [] : group?.subscribedTopics
            guard let subscribed else { continue }
            var since: Int64? = nil
            if let group, group.members.isEmpty, group.generationID > 0, group.stateTimestamp >= 0 {
                since = group.stateTimestamp
            }
            let expired = offsets.filter { partition, offset in
                !subscribed.contains(partition.topic) && now - (since ?? offset.commitTimestamp) > retentionMs
            }.map(\.key)
            guard !expired.isEmpty else { continue }
            do {
                try await offsetStore.delete(group: groupID, partitions: expired)
            } catch {
                logger.warning("Cannot expire offsets: \(error)", metadata: ["group": "\(groupID)"])
                continue
            }
            logger.info("Expired offsets", metadata: ["group": "\(groupID)", "partitions": "\(expired.count)"])
            if expired.count == offsets.count, let current = groups[groupID], current.members.isEmpty {
                groups.removeValue(forKey: groupID)
                if current.generationID > 0 { persist(groupID) }
            }
        }
    }

    /// Partitions of deleted topics lose their committed offsets in every group (tombstones), as Kafka's
    /// `handleDeletedPartitions` does when UpdateMetadata announces a deletion.
    public func handleDeletedPartitions(_ deleted: Set<TopicPartition>) async {
        guard !deleted.isEmpty else { return }
        for groupID in offsetStore.expirableGroups() {
            guard let offsets = try? await offsetStore.fetch(group: groupID, partitions: Array(deleted)),
                !offsets.isEmpty
            else { continue }
            do {
                try await offsetStore.delete(group: groupID, partitions: Array(offsets.keys))
                logger.info(
                    "Removed the offsets of deleted partitions",
                    metadata: ["group": "\(groupID)", "partitions": "\(offsets.count)"]
                )
            } catch {
                logger.warning(
                    "Cannot remove offsets of deleted partitions: \(error)",
                    metadata: ["group": "\(groupID)"]
                )
            }
        }
    }
}

extension GroupCoordinator {
    /// TxnOffsetCommit (KIP-98, with KIP-447's member checks): offsets committed in `producerID`'s transaction, kept
    /// pending until its marker. A fenced static member is FENCED_INSTANCE_ID, a named member the group does not
    /// know UNKNOWN_MEMBER_ID, a generation other than the group's ILLEGAL_GENERATION (-1 skips it); the offsets
    /// partition's refusal (INVALID_PRODUCER_EPOCH for a fenced producer) is answered as it is.
    public func commitTransactionalOffsets(
        groupID: String,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String?,
        offsets: [TopicPartition: CommittedOffset]
    ) async -> KafkaErrorCode {
        if isFenced(groupID, memberID, groupInstanceID) { return .fencedInstanceID }
        if let group = groups[groupID] {
            if group.state == .dead { return .coordinatorNotAvailable }
            if !memberID.isEmpty && group.members[memberID] == nil { return .unknownMemberID }
            if generationID >= 0 && generationID != group.generationID { return .illegalGeneration }
        }
        guard let store = offsetStore as? TopicOffsetStore else {
            logger.warning("TxnOffsetCommit needs offsets.storage=kafka", metadata: ["group": "\(groupID)"])
            return .invalidRequest
        }
        do {
            try await store.commitTransactional(
                group: groupID,
                producerID: producerID,
                producerEpoch: producerEpoch,
                offsets: offsets
            )
            addEmptyGroupIfAbsent(groupID)
            return .none
        } catch let failure as OffsetCommitFailure {
            return failure.code == .invalidProducerEpoch ? .producerFenced : failure.code
        } catch {
            logger.error("Transactional offset commit failed: \(error)", metadata: ["group": "\(groupID)"])
            return .coordinatorNotAvailable
        }
    }
}
